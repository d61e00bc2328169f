/**
 * The tenant's configuration version (`tx.tenants.getVersioned`), which the engine caches a
 * tenant's rules, rewards, campaigns, budgets and tier programme under: every configuration write
 * bumps it in its own transaction, and nothing else does (an ingest's writes must not touch the
 * tenant row). Every test makes its own tenants.
 */
import { describe, expect } from 'vitest';
import { newId } from '../ids.js';
import type { Store, Tx } from '../ports/store.js';
import { at, tenantRow } from './contract-kit.js';
import { setup, uniqueKey } from './fixtures.js';
import {
  budgetRow,
  type ConformanceTest,
  campaignRow,
  customerRow,
  eventRow,
  issuanceRow,
  lotRow,
  rewardRow,
  ruleRow,
} from './port-contracts.js';
import { programmeRow } from './tiers-contracts.js';

export function describeConfigVersionContracts(getStore: () => Store, test: ConformanceTest): void {
  const run = <T>(tenantId: string, fn: (tx: Tx) => Promise<T>): Promise<T> =>
    getStore().transaction(tenantId, fn);
  const versionOf = async (tx: Tx): Promise<number> => {
    const found = await tx.tenants.getVersioned();
    if (found === null) throw new Error('the tenant is missing');
    return found.configVersion;
  };
  const version = (tenantId: string) => run(tenantId, versionOf);
  async function newTenant(): Promise<string> {
    const id = newId();
    await run(id, (tx) => tx.tenants.insert(tenantRow(id)));
    return id;
  }

  describe('configuration version', () => {
    test('config version: read with the tenant row, an integer; another tenant has its own', async () => {
      const a = await newTenant();
      const b = await newTenant();
      const found = await run(a, (tx) => tx.tenants.getVersioned());
      expect(found?.tenant).toEqual(await run(a, (tx) => tx.tenants.get()));
      expect(Number.isSafeInteger(found?.configVersion)).toBe(true);
      const before = await version(b);
      await run(a, (tx) => tx.rewards.insert(rewardRow(a)));
      expect(await version(b)).toBe(before);
      expect(await run(newId(), (tx) => tx.tenants.getVersioned())).toBeNull();
    });

    test('config version: every write of a rule, reward, campaign, budget, tier programme or the tenant bumps it, in its transaction', async () => {
      const t = await newTenant();
      let last = await version(t);
      /** Runs `write` in one transaction: the version moved on inside it, and stays so after commit. */
      const bumps = async (what: string, write: (tx: Tx) => Promise<unknown>) => {
        const inside = await run(t, async (tx) => {
          await write(tx);
          return versionOf(tx);
        });
        expect(inside, `${what}: bumped in its own transaction`).toBeGreaterThan(last);
        const after = await version(t);
        expect(after, `${what}: committed`).toBe(inside);
        last = after;
      };
      const reward = rewardRow(t);
      const budget = budgetRow(t);
      const campaign = campaignRow(t);
      const rule = ruleRow(t, reward.id);
      await bumps('reward insert', (tx) => tx.rewards.insert(reward));
      await bumps('reward update', (tx) => tx.rewards.update({ ...reward, active: false }));
      await bumps('budget insert', (tx) => tx.budgets.insert(budget));
      await bumps('budget update', (tx) => tx.budgets.update({ ...budget, limit: 500 }));
      await bumps('campaign insert', (tx) => tx.campaigns.insert(campaign));
      await bumps('campaign update', (tx) => tx.campaigns.update({ ...campaign, status: 'paused' }));
      await bumps('rule insert', (tx) => tx.rules.insert(rule));
      await bumps('rule update', (tx) => tx.rules.update({ ...rule, condition: false, version: 2 }, 1));
      await bumps('rule delete', (tx) => tx.rules.delete(rule.id));
      await bumps('two rules in one transaction', async (tx) => {
        const other = ruleRow(t, reward.id);
        await tx.rules.insert(other);
        await tx.rules.delete(other.id);
      });
      await bumps('tier programme put', (tx) => tx.tiers.putProgramme(programmeRow(t)));
      await bumps('tier programme delete', (tx) => tx.tiers.deleteProgramme());
      await bumps('tenant settings', async (tx) => {
        const tenant = await tx.tenants.get();
        if (tenant === null) throw new Error('the tenant is missing');
        await tx.tenants.update({ ...tenant, settings: { ...tenant.settings, auto_enroll: false } });
      });
      await bumps('tenant timezone', async (tx) => {
        const tenant = await tx.tenants.get();
        if (tenant === null) throw new Error('the tenant is missing');
        await tx.tenants.update({ ...tenant, timezone: 'Africa/Harare', name: 'Renamed' });
      });

      // A rolled-back change leaves no trace.
      const failure = new Error('rolled back');
      await expect(
        run(t, async (tx) => {
          await tx.rewards.insert(rewardRow(t));
          throw failure;
        }),
      ).rejects.toBe(failure);
      expect(await version(t)).toBe(last);
    });

    test('config version: state writes (customers, events, budget periods and ledgers, issuances, points, caps, codes, tiers, outbox) leave it unchanged', async () => {
      const t = await newTenant();
      const reward = rewardRow(t, { type: 'voucher' });
      const budget = budgetRow(t, { period: 'month' });
      const rule = ruleRow(t, reward.id);
      const customer = customerRow(t);
      await run(t, async (tx) => {
        await tx.rewards.insert(reward);
        await tx.budgets.insert(budget);
        await tx.rules.insert(rule);
        await tx.tiers.putProgramme(programmeRow(t));
      });
      const before = await version(t);
      await run(t, async (tx) => {
        await tx.customers.insert(customer);
        await tx.customers.lock(customer.id);
        await tx.customers.updateProfile({ ...customer, name: 'Rudo', tags: ['vip'] });
        await tx.customers.recordEvent(customer.id, 'purchase', 1000, at());
        await tx.customers.adjustPointsBalance(customer.id, 10);
        const event = eventRow(t, customer.id);
        await tx.events.insert(event);
        await tx.events.setOutcome(event.id, {
          event_id: event.id,
          customer_id: customer.id,
          enrolled: false,
          decisions: [],
          issuance_ids: [],
        });
        const period = '2026-11';
        await tx.budgets.reserve({
          budgetId: budget.id,
          period,
          defaultLimit: 1000,
          amount: 100,
          hardCap: true,
        });
        await tx.budgets.move(budget.id, period, 'reserved', 'utilized', 100);
        await tx.budgets.topUp(budget.id, period, 1000, 50);
        await tx.budgets.markNotified(budget.id, period, 'threshold');
        await tx.budgets.appendLedger({
          id: newId(),
          tenant_id: t,
          budget_id: budget.id,
          period,
          issuance_id: null,
          kind: 'charge',
          amount: 100,
          from: 'reserved',
          to: 'utilized',
          at: at(),
        });
        await tx.caps.claimGlobal({
          ruleId: rule.id,
          capKey: '0:day:5',
          max: 5,
          window: { kind: 'lifetime' },
        });
        await tx.codes.add(reward.id, ['CODE-1', 'CODE-2'], at());
        const issuance = issuanceRow(t, { customer_id: customer.id, reward_id: reward.id, rule_id: rule.id });
        const code = await tx.codes.draw(reward.id, issuance.id);
        await tx.issuances.insert({ ...issuance, code });
        await tx.points.insertLot(lotRow(t, customer.id));
        await tx.tiers.addToBucket(customer.id, 'spend', '2026-11-02', 1000);
        await tx.tiers.putCustomerTier({
          tenant_id: t,
          customer_id: customer.id,
          tier: 'Bronze',
          since: at(),
          qualifying_value: 1000,
          downgrade_due_at: null,
          programme_version: 1,
          updated_at: at(),
        });
        await tx.outbox.append({
          id: newId(),
          tenant_id: t,
          type: 'customer.enrolled',
          data: {},
          created_at: at(),
        });
      });
      expect(await version(t)).toBe(before);
    });

    test('config version: an ingest that enrolls, issues points, a budgeted voucher and moves a tier leaves it unchanged', async () => {
      const { engine, tenant } = await setup(getStore());
      const t = tenant.id;
      const budget = await engine.budgets.create(t, { name: 'Monthly', limit: 100_000, period: 'month' });
      const points = await engine.rewards.create(t, { name: 'Points', type: 'points', value: 1 });
      const voucher = await engine.rewards.create(t, {
        name: 'Voucher',
        type: 'voucher',
        value: 5,
        cost: 100,
      });
      await engine.rewards.uploadCodes(t, voucher.id, { codes: ['V-1', 'V-2'] });
      await engine.rules.create(t, {
        name: 'Points',
        event_types: ['purchase'],
        condition: true,
        reward_id: points.id,
        quantity: 10,
      });
      await engine.rules.create(t, {
        name: 'Voucher',
        event_types: ['purchase'],
        condition: true,
        reward_id: voucher.id,
        budget_id: budget.id,
        caps: [{ scope: 'global', max: 10, window: 'month' }],
      });
      await engine.tiers.put(t, {
        measure: 'spend',
        window: { rolling: '365d' },
        grace: '30d',
        levels: [
          { name: 'Bronze', threshold: 0 },
          { name: 'Gold', threshold: 1_000 },
        ],
      });
      const before = await version(t);
      const result = await engine.ingest(t, {
        idempotency_key: uniqueKey(),
        type: 'purchase',
        customer: { external_ref: 'config-version' },
        data: { amount: 5_000 },
      });
      expect(result.issuances).toHaveLength(2);
      expect(await version(t)).toBe(before);
    });
  });
}
