import type { Issuance, Reward, Tx } from '@laas/core';

/** A redeemable reward as a channel lists it: issued, not past its expiry, not points. */
export interface Listed {
  /** Its number in the list, from 1: what the customer types or picks to redeem it. */
  n: number;
  issuance: Issuance;
  reward: Reward;
}

/**
 * A customer's redeemable rewards, numbered 1..n in a stable order (soonest expiry first, then
 * oldest), so that the number a customer picks names what the list showed. Points rewards are
 * left out: they are credited to the balance, not redeemed one by one. At most 1,000 issuances
 * are read (far more than any message or screen shows).
 */
export async function redeemable(tx: Tx, customerId: string, now: string): Promise<Listed[]> {
  const issued: Issuance[] = [];
  let cursor: string | undefined;
  do {
    const page = await tx.issuances.list(
      { customer_id: customerId, state: 'issued' },
      { limit: 200, ...(cursor === undefined ? {} : { cursor }) },
    );
    issued.push(...page.items);
    cursor = page.next_cursor ?? undefined;
  } while (cursor !== undefined && issued.length < 1000);
  const rewards = new Map<string, Reward | null>();
  const out: Array<Omit<Listed, 'n'>> = [];
  for (const issuance of issued) {
    if (issuance.expires_at !== null && issuance.expires_at <= now) continue;
    if (!rewards.has(issuance.reward_id))
      rewards.set(issuance.reward_id, await tx.rewards.get(issuance.reward_id));
    const reward = rewards.get(issuance.reward_id);
    if (reward == null || reward.type === 'points') continue;
    out.push({ issuance, reward });
  }
  out.sort(
    (a, b) =>
      (a.issuance.expires_at ?? '9999').localeCompare(b.issuance.expires_at ?? '9999') ||
      a.issuance.earned_at.localeCompare(b.issuance.earned_at) ||
      a.issuance.id.localeCompare(b.issuance.id),
  );
  return out.map((x, i) => ({ ...x, n: i + 1 }));
}
