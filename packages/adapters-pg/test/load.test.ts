/**
 * 32 concurrent clients ingest 5,000 events of 200 customers against a hard-capped budget, a
 * global cap and a voucher pool that are all too small: afterwards the invariants hold exactly.
 */
import { createEngine } from '@laas/core';
import { expectInvariants } from '@laas/core/testing';
import { describe, expect, it } from 'vitest';
import { pgStore } from '../src/index.js';
// @ts-expect-error plain JavaScript fixture shared with the crash test's child process
import { scarceEvent, seedScarceWorld } from './fixtures/world.mjs';
import { pgTestDb } from './pg-test-db.js';

const db = pgTestDb();
const EVENTS = 5_000;
const CLIENTS = 32;

describe.skipIf(!db.available)('postgres under load', () => {
  it(`${CLIENTS} concurrent clients, ${EVENTS} events, 200 customers: no overshoot by even one unit`, async () => {
    const store = pgStore({ connectionString: db.appUrl, schema: db.schema, pool: { max: CLIENTS } });
    try {
      const engine = createEngine({ store });
      const { tenant, budgetId, voucherId } = await seedScarceWorld(engine);
      let next = 0;
      await Promise.all(
        Array.from({ length: CLIENTS }, async () => {
          while (next < EVENTS) {
            const i = next++;
            await engine.ingest(tenant.id, scarceEvent('load', i, 200));
          }
        }),
      );

      const s = await expectInvariants(engine, tenant.id, tenant.timezone);
      // Every event has exactly one stored outcome.
      expect(s.events).toHaveLength(EVENTS);
      expect(new Set(s.events.map((e) => e.idempotency_key)).size).toBe(EVENTS);
      // Each scarce resource ran out exactly at its limit: the budget (30,000) is the tightest
      // for vouchers (500) and cakes (700) together; neither cap nor pool was overshot.
      const period = (await engine.budgets.periods(tenant.id, budgetId))[0]!;
      const committed = period.reserved + period.utilized + period.spent;
      expect(committed).toBeLessThanOrEqual(30_000);
      expect(30_000 - committed).toBeLessThan(500);
      const vouchers = s.issuances.filter((i) => i.reward_id === voucherId);
      const cakes = s.issuances.filter((i) => i.rule_id !== null && i.cost === 700);
      expect(vouchers.length).toBeLessThanOrEqual(40);
      expect(cakes.length).toBeLessThanOrEqual(35);
      expect((await engine.rewards.codeCounts(tenant.id, voucherId)).used).toBe(vouchers.length);
      const outcomes = s.events.flatMap((e) => e.outcome?.decisions.map((d) => d.outcome) ?? []);
      expect(outcomes).toContain('budget_exhausted');
    } finally {
      await store.close();
    }
  }, 600_000);
});
