import { formatPoints } from './format.js';
import type { Decision, IngestResult, Issuance, Reward } from './types.js';

/** Outcomes that mean a rule matched but the reward was held back: the till should say why. */
const HELD_BACK = new Set<Decision['outcome']>([
  'cooldown',
  'cap_reached',
  'budget_exhausted',
  'codes_exhausted',
  'campaign_inactive',
  'error',
]);

export interface IngestSummary {
  /** "Visit recorded", "Customer enrolled and purchase recorded", with "(already recorded)" on a replay. */
  headline: string;
  /** Each reward earned by this event, in words ("Free coffee", "Free coffee × 2, code AB12"). */
  earned: string[];
  /** Points credited by this event. */
  points: number;
  /** Rules that matched but gave nothing, with the engine's reason. */
  heldBack: string[];
  warnings: string[];
}

function rewardName(rewards: ReadonlyMap<string, Reward>, id: string): string {
  return rewards.get(id)?.name ?? 'Reward';
}

/** What a till shows after recording an event: what was earned, what was held back and why. */
export function summarizeIngest(
  result: Pick<IngestResult, 'enrolled' | 'replayed' | 'decisions' | 'issuances' | 'warnings'>,
  type: string,
  rewards: ReadonlyMap<string, Reward>,
): IngestSummary {
  const what = type === 'visit' ? 'visit' : type === 'purchase' ? 'purchase' : `"${type}" event`;
  let headline = result.enrolled
    ? `Customer enrolled and ${what} recorded`
    : `${what[0]?.toUpperCase()}${what.slice(1)} recorded`;
  if (result.replayed) headline += ' (already recorded: the same result again)';
  const earned: string[] = [];
  let points = 0;
  for (const issuance of result.issuances) {
    const reward = rewards.get(issuance.reward_id);
    if (reward?.type === 'points') {
      points += issuance.value;
      continue;
    }
    let text = rewardName(rewards, issuance.reward_id);
    if (issuance.quantity > 1) text += ` × ${issuance.quantity}`;
    if (issuance.code !== null) text += `, code ${issuance.code}`;
    if (issuance.state === 'reserved') text += ' (reserved: issued by a manager)';
    earned.push(text);
  }
  const heldBack = result.decisions
    .filter((d) => HELD_BACK.has(d.outcome))
    .map((d) => `${d.rule_name}: ${d.reason}`);
  return {
    headline,
    earned,
    points,
    heldBack,
    warnings: (result.warnings ?? []).map((w) => w.message),
  };
}

/** One line per summary: for a screen reader's status and for the history table. */
export function summaryText(s: IngestSummary): string {
  const parts = [s.headline];
  if (s.earned.length > 0) parts.push(`earned ${s.earned.join(', ')}`);
  if (s.points > 0) parts.push(`+${formatPoints(s.points)}`);
  if (s.earned.length === 0 && s.points === 0) parts.push('no reward this time');
  return parts.join('; ');
}

/** The issuances a till can redeem: issued, not a points credit (points are spent, not redeemed). */
export function redeemable(issuances: Issuance[], rewards: ReadonlyMap<string, Reward>): Issuance[] {
  return issuances.filter((i) => i.state === 'issued' && rewards.get(i.reward_id)?.type !== 'points');
}

/** Catalog rewards a customer may buy with points, cheapest first, each with whether they can afford it. */
export function pointsCatalog(
  rewards: Iterable<Reward>,
  balance: number,
): Array<{ reward: Reward; price: number; affordable: boolean }> {
  const items: Array<{ reward: Reward; price: number; affordable: boolean }> = [];
  for (const reward of rewards) {
    if (!reward.active || reward.points_price === null || reward.type === 'points') continue;
    items.push({ reward, price: reward.points_price, affordable: balance >= reward.points_price });
  }
  return items.sort((a, b) => a.price - b.price || a.reward.name.localeCompare(b.reward.name));
}

/** A stored event's outcome for the history table ("Free coffee issued", "no reward"). */
export function outcomeText(
  decisions: Decision[] | undefined,
  rewardsByIssuance: ReadonlyMap<string, string>,
): string {
  if (decisions === undefined) return '—';
  const parts: string[] = [];
  for (const d of decisions) {
    if (d.outcome === 'issued' || d.outcome === 'reserved') {
      const name = (d.issuance_id && rewardsByIssuance.get(d.issuance_id)) || d.rule_name;
      parts.push(`${name} ${d.outcome}`);
    } else if (HELD_BACK.has(d.outcome)) {
      parts.push(`${d.rule_name}: ${d.outcome.replace(/_/g, ' ')}`);
    }
  }
  return parts.length === 0 ? 'no reward' : parts.join('; ');
}
