/**
 * The engine's configuration cache seen from two engines on one database, as two processes would
 * be: engine A ingests (its cache warm), engine B changes the configuration, and A's next ingest
 * obeys the change. Call with two stores opened on the same database (or one store twice).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Decision } from '../domain/event.js';
import { createEngine } from '../engine/create-engine.js';
import type { Engine } from '../engine/types.js';
import type { Store } from '../ports/store.js';
import { testClock, uniqueKey } from './fixtures.js';

export interface TwoStores {
  a: Store;
  b: Store;
  close(): Promise<void>;
}

export function describeConfigAcrossEngines(name: string, open: () => Promise<TwoStores>): void {
  describe(`configuration cache across engines: ${name}`, () => {
    let stores: TwoStores | undefined;
    let a: Engine;
    let b: Engine;
    beforeAll(async () => {
      stores = await open();
      const clock = testClock();
      a = createEngine({ store: stores.a, clock });
      b = createEngine({ store: stores.b, clock });
    });
    afterAll(async () => {
      await stores?.close();
    });

    /** A tenant (made by B) whose one rule gives a 100-cost item on `visit`, with its parts. */
    async function world() {
      const tenant = await b.tenants.create({ name: 'Two engines' });
      const t = tenant.id;
      const budget = await b.budgets.create(t, { name: 'Monthly', limit: 1_000, period: 'month' });
      const campaign = await b.campaigns.create(t, { name: 'Launch', status: 'active' });
      const reward = await b.rewards.create(t, { name: 'Coffee', type: 'item', cost: 100 });
      const rule = await b.rules.create(t, {
        name: 'Every visit',
        event_types: ['visit'],
        condition: true,
        reward_id: reward.id,
        budget_id: budget.id,
        campaign_id: campaign.id,
      });
      const visit = async (): Promise<Decision> => {
        const result = await a.ingest(t, {
          idempotency_key: uniqueKey(),
          type: 'visit',
          customer: { external_ref: 'regular' },
        });
        const decision = result.decisions.find((d) => d.rule_id === rule.id);
        if (decision === undefined) throw new Error('the rule made no decision');
        return decision;
      };
      expect((await visit()).outcome, 'before the change').toBe('issued');
      return { t, budget, campaign, reward, rule, visit };
    }

    it('a rule whose condition engine B changed', async () => {
      const { t, rule, visit } = await world();
      await b.rules.update(t, rule.id, { condition: false });
      expect((await visit()).outcome).toBe('not_matched');
      await b.rules.update(t, rule.id, { active: false });
      await expect(visit()).rejects.toThrow('the rule made no decision');
    });

    it('a reward engine B deactivated', async () => {
      const { t, reward, visit } = await world();
      await b.rewards.update(t, reward.id, { active: false });
      const decision = await visit();
      expect(decision.outcome).toBe('not_matched');
      expect(decision.reason).toContain('is not active');
    });

    it('a budget whose limit engine B lowered, then switched off', async () => {
      const { t, budget, visit } = await world();
      await b.budgets.update(t, budget.id, { limit: 150 });
      expect((await visit()).outcome).toBe('budget_exhausted');
      await b.budgets.update(t, budget.id, { limit: 1_000, active: false });
      const decision = await visit();
      expect(decision.outcome).toBe('budget_exhausted');
      expect(decision.reason).toContain('switched off');
    });

    it('a campaign engine B paused', async () => {
      const { t, campaign, visit } = await world();
      await b.campaigns.setStatus(t, campaign.id, 'paused');
      expect((await visit()).outcome).toBe('campaign_inactive');
      await b.campaigns.setStatus(t, campaign.id, 'active');
      expect((await visit()).outcome).toBe('issued');
    });

    it('a rule engine B added for the event type', async () => {
      const { t, reward, visit } = await world();
      const rule = await b.rules.create(t, {
        name: 'Second',
        event_types: ['visit'],
        condition: true,
        reward_id: reward.id,
      });
      await visit();
      const result = await a.ingest(t, {
        idempotency_key: uniqueKey(),
        type: 'visit',
        customer: { external_ref: 'regular' },
      });
      expect(result.decisions.map((d) => d.rule_id)).toContain(rule.id);
    });
  });
}
