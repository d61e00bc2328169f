import { randomBytes } from 'node:crypto';
import { redeemByCodeSchema } from '../domain/issuance.js';
import type { Reward } from '../domain/reward.js';
import {
  type CodeValidation,
  DIGIT_CODE_ALPHABET,
  type GeneratedCodes,
  generateCodesSchema,
  SAFE_CODE_ALPHABET,
} from '../domain/voucher-code.js';
import { ValidationError } from '../errors.js';
import { loadReward } from './issuance-ops.js';
import type { Operation } from './operation.js';
import { parseInput } from './parse-input.js';

/** Codes written to the pool per `codes.add` call (bounds one statement's parameters). */
const CHUNK = 1000;

/**
 * `n` random strings of `length` characters of `alphabet`, uniform: bytes from `crypto` with
 * rejection sampling (a byte at or above the largest multiple of the alphabet's size is
 * dropped, so no character is likelier than another).
 */
function randomStrings(n: number, length: number, alphabet: string): string[] {
  const size = alphabet.length;
  const ceiling = 256 - (256 % size);
  const out: string[] = [];
  let pool = randomBytes(n * length * 2);
  let at = 0;
  for (let i = 0; i < n; i++) {
    let s = '';
    while (s.length < length) {
      if (at >= pool.length) {
        pool = randomBytes(Math.max(64, (n - i) * length * 2));
        at = 0;
      }
      const byte = pool[at++] as number;
      if (byte < ceiling) s += alphabet[byte % size];
    }
    out.push(s);
  }
  return out;
}

/**
 * Generates `count` new codes into a voucher reward's pool, in the operation's transaction. A
 * candidate already in the pool (uploaded or generated before) comes back from `codes.add` as a
 * duplicate and is drawn again, so every added code is new to the pool and the pool's own unique
 * key is what guarantees it. Refused (`length`) when the pattern's space cannot hold the pool
 * plus `count` more.
 */
export async function generateCodes(op: Operation, rewardId: string, raw: unknown): Promise<GeneratedCodes> {
  const input = parseInput(generateCodesSchema, raw, 'code generation');
  const reward = await loadReward(op, rewardId);
  requireVoucher(reward);
  const alphabet = input.charset === 'digits' ? DIGIT_CODE_ALPHABET : SAFE_CODE_ALPHABET;
  const prefix = input.prefix ?? '';
  const space = alphabet.length ** input.length;
  const { available, used } = await op.tx.codes.counts(reward.id);
  // Every code of the pool may share the pattern; keep half the space free so that drawing
  // again after a collision ends quickly.
  if (available + used + input.count > space / 2) {
    throw new ValidationError(
      `${input.count} more codes of ${input.length} ${input.charset === 'digits' ? 'digits' : 'characters'} do not fit: the pattern has ${space} codes and the pool holds ${available + used}`,
      [{ path: 'length', message: 'too short for this many codes; make the codes longer' }],
    );
  }
  const codes: string[] = [];
  const seen = new Set<string>();
  let missing = input.count;
  for (let round = 0; missing > 0; round++) {
    if (round > 1000) throw new Error('code generation did not converge');
    const batch: string[] = [];
    for (const s of randomStrings(Math.min(missing, CHUNK), input.length, alphabet)) {
      const code = prefix + s;
      if (seen.has(code)) continue;
      seen.add(code);
      batch.push(code);
    }
    const { duplicates } = await op.tx.codes.add(reward.id, batch, op.now);
    const refused = new Set(duplicates);
    for (const code of batch) if (!refused.has(code)) codes.push(code);
    missing = input.count - codes.length;
  }
  return { added: codes.length, codes };
}

export function requireVoucher(reward: Reward): void {
  if (reward.type !== 'voucher') {
    throw new ValidationError(`"${reward.name}" is not a voucher reward; codes belong to voucher rewards`, [
      { path: 'reward_id', message: 'not a voucher reward' },
    ]);
  }
}

/**
 * Whether `redeem({ code })` would succeed now, for whom, and if not why; reads only. The
 * checks follow `redeem`'s order: the issuance holding the code and its state, its expiry, then
 * the customer (a blocked or erased customer's reward should not be honoured at the till).
 */
export async function validateCode(op: Operation, raw: unknown): Promise<CodeValidation> {
  const { code } = parseInput(redeemByCodeSchema, raw, 'code');
  const none: CodeValidation = {
    code,
    redeemable: false,
    reason: 'not_found',
    issuance_id: null,
    customer_id: null,
    reward: null,
    state: null,
    expires_at: null,
  };
  const issuance = await op.tx.issuances.getByCode(code);
  if (issuance === null) {
    const pooled = await op.tx.codes.find(code);
    const first = pooled[0];
    if (first === undefined) return none;
    const reward = await op.tx.rewards.get(first.reward_id);
    return { ...none, reason: 'not_issued_yet', reward: reward === null ? null : summary(reward) };
  }
  const reward = await op.tx.rewards.get(issuance.reward_id);
  const answer: CodeValidation = {
    code,
    redeemable: false,
    reason: null,
    issuance_id: issuance.id,
    customer_id: issuance.customer_id,
    reward: reward === null ? null : summary(reward),
    state: issuance.state,
    expires_at: issuance.expires_at,
  };
  if (issuance.state === 'reserved') return { ...answer, reason: 'reserved' };
  if (issuance.state === 'redeemed') return { ...answer, reason: 'redeemed' };
  if (issuance.state === 'cancelled') return { ...answer, reason: 'cancelled' };
  if (issuance.state === 'expired' || (issuance.expires_at !== null && issuance.expires_at <= op.now))
    return { ...answer, reason: 'expired' };
  if (reward === null || reward.type === 'points') return { ...answer, reason: 'not_redeemable' };
  const customer = await op.tx.customers.get(issuance.customer_id);
  if (customer === null || customer.status !== 'active') return { ...answer, reason: 'customer_blocked' };
  return { ...answer, redeemable: true };
}

function summary(reward: Reward): NonNullable<CodeValidation['reward']> {
  return { id: reward.id, name: reward.name, type: reward.type, value: reward.value };
}
