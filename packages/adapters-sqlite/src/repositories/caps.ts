import { type CapRepository, capWindowKey, type GlobalCapClaim } from '@laas/core';
import { sql } from 'kysely';
import { toTs } from '../mapping/helpers.js';
import { defineQuery, p } from '../query.js';
import type { Scope } from './scope.js';

const ensureCounter = defineQuery((db) =>
  db
    .insertInto('cap_counters')
    .values({
      tenant_id: p('tenant_id'),
      rule_id: p('rule_id'),
      cap_key: p('cap_key'),
      window_key: p('window_key'),
      count: 0,
    })
    .onConflict((oc) => oc.doNothing()),
);
/** The guarded claim: counts the use only while fewer than `max` were claimed. */
const claim = defineQuery((db) =>
  db
    .updateTable('cap_counters')
    .set({ count: sql<number>`count + 1` })
    .where('tenant_id', '=', p('tenant_id'))
    .where('rule_id', '=', p('rule_id'))
    .where('cap_key', '=', p('cap_key'))
    .where('window_key', '=', p('window_key'))
    .where('count', '<', p('max'))
    .returning('count'),
);
const countSince = defineQuery((db) =>
  db
    .selectFrom('issuances')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('tenant_id', '=', p('tenant_id'))
    .where('rule_id', '=', p('rule_id'))
    .where('earned_at', '>=', p('since')),
);

const release = defineQuery((db) =>
  db
    .updateTable('cap_counters')
    .set({ count: sql<number>`count - 1` })
    .where('tenant_id', '=', p('tenant_id'))
    .where('rule_id', '=', p('rule_id'))
    .where('cap_key', '=', p('cap_key'))
    .where('window_key', '=', p('window_key'))
    .where('count', '>', 0),
);

export class SqliteCapRepository implements CapRepository {
  constructor(private readonly s: Scope) {}

  /**
   * Calendar and lifetime windows: a counter row per (rule, cap, window key), created at 0, then
   * `UPDATE ... SET count = count + 1 WHERE count < max RETURNING`. Rolling windows count the
   * rule's issuances since `since`; SQLite's single writer is what makes that count exact (no
   * other transaction can issue between the count and this transaction's insert).
   */
  async claimGlobal(c: GlobalCapClaim): Promise<boolean> {
    const base = { tenant_id: this.s.tenantId, rule_id: c.ruleId };
    if (c.window.kind === 'rolling') {
      const n = this.s.r.get<{ n: number }>(countSince, { ...base, since: toTs(c.window.since) })?.n ?? 0;
      return n < c.max;
    }
    const key = {
      ...base,
      cap_key: c.capKey,
      window_key: capWindowKey(c.window),
    };
    this.s.r.run(ensureCounter, key);
    return this.s.r.get(claim, { ...key, max: c.max }) !== undefined;
  }

  /** Calendar and lifetime counters go down by one, never below 0; rolling windows count issuances. */
  async releaseGlobal(c: GlobalCapClaim): Promise<void> {
    if (c.window.kind === 'rolling') return;
    this.s.r.run(release, {
      tenant_id: this.s.tenantId,
      rule_id: c.ruleId,
      cap_key: c.capKey,
      window_key: capWindowKey(c.window),
    });
  }
}
