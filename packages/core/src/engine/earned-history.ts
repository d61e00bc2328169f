import { durationMs } from '../domain/common.js';
import type { Cap, Rule } from '../domain/rule.js';
import type { EarnedReads, IngestOpening, Tx } from '../ports/store.js';
import { addMs, startOfUnit, type Timestamp } from '../time.js';

/** Where a cap's window starts for an event at `at`; null for lifetime. */
export function capWindowStart(cap: Cap, at: Timestamp, timeZone: string): Timestamp | null {
  if (cap.window === 'lifetime') return null;
  if (typeof cap.window === 'string') return startOfUnit(at, cap.window, timeZone);
  return addMs(at, -durationMs(cap.window.rolling));
}

const countKey = (ruleId: string, since: Timestamp | null) => `${ruleId}\u0000${since ?? ''}`;

/**
 * The customer's history that an event's candidate rules read (cooldowns, per-customer caps),
 * asked for with ingest's opening read (`Tx.openIngest`) rather than a round trip per rule. A rule
 * decides once per event, before it issues anything, so what was read before deciding is what it
 * would have read then.
 */
export class EarnedHistory {
  readonly #last = new Map<string, Timestamp | null>();
  readonly #counts = new Map<string, number>();

  /** What `rules` will ask about an event at `at`. */
  static readsFor(rules: readonly Rule[], at: Timestamp, timeZone: string): EarnedReads {
    const last: string[] = [];
    const counts: Array<{ ruleId: string; since: Timestamp | null }> = [];
    for (const rule of rules) {
      if (rule.cooldown !== null) last.push(rule.id);
      for (const cap of rule.caps) {
        if (cap.scope === 'customer')
          counts.push({ ruleId: rule.id, since: capWindowStart(cap, at, timeZone) });
      }
    }
    return { last, counts };
  }

  constructor(reads: EarnedReads, answers: IngestOpening['earned']) {
    reads.last.forEach((ruleId, i) => {
      this.#last.set(ruleId, answers.last[i] ?? null);
    });
    reads.counts.forEach(({ ruleId, since }, i) => {
      this.#counts.set(countKey(ruleId, since), answers.counts[i] ?? 0);
    });
  }

  async lastEarnedAt(tx: Tx, ruleId: string, customerId: string): Promise<Timestamp | null> {
    const known = this.#last.get(ruleId);
    return known !== undefined ? known : tx.issuances.lastEarnedAt(ruleId, customerId);
  }

  async countEarned(tx: Tx, ruleId: string, customerId: string, since: Timestamp | null): Promise<number> {
    return this.#counts.get(countKey(ruleId, since)) ?? tx.issuances.countEarned(ruleId, customerId, since);
  }
}
