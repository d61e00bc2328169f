/**
 * The port half of the storage conformance suite: every MUST / MUST NOT of `ports/store.ts` and
 * `ports/repositories.ts`, tested on the Store directly (no engine). Every test makes its own
 * tenants with fresh ids, so one store instance serves the whole suite and tests never see each
 * other's rows. Concurrency tests run separate `store.transaction` calls under `Promise.all` and
 * assert on totals, so they hold for a store that really runs them in parallel (PostgreSQL).
 */
import { describe, expect, it } from 'vitest';
import type { ApiKey, IdempotencyRecord } from '../domain/api-key.js';
import type { Budget, BudgetLedgerEntry } from '../domain/budget.js';
import type { Campaign } from '../domain/campaign.js';
import { MAX_PAGE_LIMIT, type Page } from '../domain/common.js';
import type { Customer } from '../domain/customer.js';
import type { LoyaltyEvent } from '../domain/event.js';
import type { Issuance } from '../domain/issuance.js';
import type { OutboxEvent } from '../domain/outbox.js';
import type { PointsLedgerEntry, PointsLot } from '../domain/points.js';
import type { Reward } from '../domain/reward.js';
import type { Rule } from '../domain/rule.js';
import type { Tenant } from '../domain/tenant.js';
import type { WebhookAttempt, WebhookDelivery, WebhookSubscription } from '../domain/webhook.js';
import { ForeignTenantRowError, ValidationError } from '../errors.js';
import { newId } from '../ids.js';
import type { GlobalCapClaim } from '../ports/repositories.js';
import type { Store, Tx } from '../ports/store.js';
import { describeAnalyticsContracts } from './analytics-contracts.js';
import { describeAuditContracts } from './audit-contracts.js';
import { describeCodesContracts } from './codes-contracts.js';
import { describeConfigVersionContracts } from './config-version-contracts.js';
import {
  allPages,
  ascendingIds,
  at,
  DAY,
  expectUniqueViolation,
  HOUR,
  ids,
  rejection,
  tenantRow,
  unique,
  uniqueDigits,
} from './contract-kit.js';
import { describeReferralContracts } from './referrals-contracts.js';
import { describeRefundContracts } from './refunds-contracts.js';
import { describeRemindersContracts } from './reminders-contracts.js';
import { describeSharedChannelContracts } from './shared-channel-contracts.js';
import { describeTierContracts } from './tiers-contracts.js';
import { describeUssdContracts } from './ussd-contracts.js';
import { describeWhatsAppContracts } from './whatsapp-contracts.js';

/** Registers one conformance test; the suite runner's version honours its declared skips. */
export type ConformanceTest = (name: string, fn: () => Promise<void>, timeout?: number) => void;

/** An opening read that asks nothing of the customer's history. */
const NO_EARNED = { last: [], counts: [] } as const;

const plainTest: ConformanceTest = (name, fn, timeout) => {
  it(name, fn, timeout);
};

// ---------------------------------------------------------------------------------------------
// Time and rows
// ---------------------------------------------------------------------------------------------

export function customerRow(tenantId: string, over: Partial<Customer> = {}): Customer {
  return {
    id: newId(),
    tenant_id: tenantId,
    phone: `+${uniqueDigits()}`,
    external_ref: null,
    name: 'Tariro',
    birthday: null,
    attributes: { tier: 'gold' },
    tags: [],
    status: 'active',
    enrolled_at: at(-30 * DAY),
    last_event_at: null,
    stats: { counts: {}, total_spend: 0, points_balance: 0 },
    ...over,
  };
}

export function eventRow(
  tenantId: string,
  customerId: string,
  over: Partial<LoyaltyEvent> = {},
): LoyaltyEvent {
  return {
    id: newId(),
    tenant_id: tenantId,
    customer_id: customerId,
    type: 'purchase',
    occurred_at: at(),
    data: { amount: 1250, items: [{ sku: 'A1', qty: 2 }] },
    idempotency_key: unique('evt'),
    payload_hash: 'a'.repeat(64),
    outcome: null,
    created_at: at(),
    ...over,
  };
}

export function rewardRow(tenantId: string, over: Partial<Reward> = {}): Reward {
  return {
    id: newId(),
    tenant_id: tenantId,
    name: 'Free coffee',
    type: 'item',
    value: 0,
    cost: 250,
    issue_mode: 'immediate',
    validity: '30d',
    reservation_ttl: '7d',
    points_price: null,
    active: true,
    created_at: at(),
    updated_at: at(),
    ...over,
  };
}

export function ruleRow(tenantId: string, rewardId: string, over: Partial<Rule> = {}): Rule {
  return {
    id: newId(),
    tenant_id: tenantId,
    name: 'Stamp card',
    priority: 100,
    active: true,
    event_types: ['purchase'],
    condition: true,
    reward_id: rewardId,
    quantity: 1,
    caps: [],
    cooldown: null,
    stop_processing: false,
    campaign_id: null,
    budget_id: null,
    valid_from: null,
    valid_until: null,
    version: 1,
    created_at: at(),
    updated_at: at(),
    ...over,
  };
}

export function budgetRow(tenantId: string, over: Partial<Budget> = {}): Budget {
  return {
    id: newId(),
    tenant_id: tenantId,
    name: 'Monthly',
    unit: 'USD',
    limit: 1000,
    period: 'month',
    hard_cap: true,
    soft_cap_ratio: 0.8,
    active: true,
    created_at: at(),
    updated_at: at(),
    ...over,
  };
}

export interface Refs {
  customer_id: string;
  reward_id: string;
  rule_id: string | null;
}

export function issuanceRow(tenantId: string, refs: Refs, over: Partial<Issuance> = {}): Issuance {
  return {
    id: newId(),
    tenant_id: tenantId,
    customer_id: refs.customer_id,
    reward_id: refs.reward_id,
    rule_id: refs.rule_id,
    event_id: null,
    state: 'issued',
    quantity: 1,
    value: 0,
    cost: 250,
    code: null,
    budget_id: null,
    budget_period: null,
    earned_at: at(),
    created_at: at(),
    issued_at: at(),
    expires_at: null,
    reserve_deadline: null,
    redeemed_at: null,
    cancelled_at: null,
    cancel_reason: null,
    ...over,
  };
}

export function lotRow(tenantId: string, customerId: string, over: Partial<PointsLot> = {}): PointsLot {
  return {
    id: newId(),
    tenant_id: tenantId,
    customer_id: customerId,
    issuance_id: null,
    earned_at: at(),
    expires_at: null,
    amount: 10,
    remaining: 10,
    ...over,
  };
}

function pointsEntry(
  tenantId: string,
  customerId: string,
  over: Partial<PointsLedgerEntry> = {},
): PointsLedgerEntry {
  return {
    id: newId(),
    tenant_id: tenantId,
    customer_id: customerId,
    kind: 'earn',
    amount: 10,
    lot_id: null,
    issuance_id: null,
    at: at(),
    reason: null,
    actor: null,
    ...over,
  };
}

function budgetEntry(
  tenantId: string,
  budgetId: string,
  over: Partial<BudgetLedgerEntry> = {},
): BudgetLedgerEntry {
  return {
    id: newId(),
    tenant_id: tenantId,
    budget_id: budgetId,
    period: '2026-11',
    issuance_id: null,
    kind: 'reserve',
    amount: 100,
    from: null,
    to: 'reserved',
    at: at(),
    ...over,
  };
}

export function campaignRow(tenantId: string, over: Partial<Campaign> = {}): Campaign {
  return {
    id: newId(),
    tenant_id: tenantId,
    name: 'Festive season',
    starts_at: null,
    ends_at: null,
    status: 'draft',
    budget_id: null,
    created_at: at(),
    updated_at: at(),
    ...over,
  };
}

function webhookRow(tenantId: string, over: Partial<WebhookSubscription> = {}): WebhookSubscription {
  return {
    id: newId(),
    tenant_id: tenantId,
    url: 'https://example.com/hooks/laas',
    events: [],
    secret: `whsec_${unique('s')}`,
    previous_secret: null,
    previous_secret_expires_at: null,
    active: true,
    disabled_reason: null,
    failure_count: 0,
    created_at: at(),
    updated_at: at(),
    ...over,
  };
}

function outboxRow(tenantId: string, over: Partial<OutboxEvent> = {}): OutboxEvent {
  return {
    id: newId(),
    tenant_id: tenantId,
    type: 'reward.issued',
    data: { n: 1 },
    created_at: at(),
    ...over,
  };
}

function deliveryRow(
  tenantId: string,
  subscriptionId: string,
  over: Partial<WebhookDelivery> = {},
): WebhookDelivery {
  const outboxId = newId();
  return {
    id: newId(),
    tenant_id: tenantId,
    subscription_id: subscriptionId,
    outbox_id: outboxId,
    event_type: 'reward.issued',
    payload: `{"type":"reward.issued","tenant_id":"${tenantId}","data":{"b":1,"a":[2]},"timestamp":"${at()}"}`,
    status: 'pending',
    attempts: 0,
    next_attempt_at: at(),
    locked_until: null,
    last_status: null,
    last_error: null,
    created_at: at(),
    updated_at: at(),
    ...over,
  };
}

function attemptRow(
  tenantId: string,
  deliveryId: string,
  over: Partial<WebhookAttempt> = {},
): WebhookAttempt {
  return {
    id: newId(),
    tenant_id: tenantId,
    delivery_id: deliveryId,
    at: at(),
    status_code: 500,
    duration_ms: 12,
    response_excerpt: 'oops',
    error: null,
    ...over,
  };
}

function apiKeyRow(tenantId: string, over: Partial<ApiKey> = {}): ApiKey {
  const secret = unique('hash').replace(/[^a-z0-9]/g, '');
  return {
    id: newId(),
    tenant_id: tenantId,
    name: 'Till 1',
    role: 'pos',
    key_hash: secret.padEnd(64, '0').slice(0, 64),
    prefix: 'laas_abcd',
    created_at: at(),
    revoked_at: null,
    ...over,
  };
}

function idempotencyRow(tenantId: string, over: Partial<IdempotencyRecord> = {}): IdempotencyRecord {
  return {
    tenant_id: tenantId,
    key: unique('idem'),
    fingerprint: 'f'.repeat(64),
    status: 201,
    body: { id: 'x', nested: { ok: true } },
    created_at: at(),
    ...over,
  };
}

// ---------------------------------------------------------------------------------------------
// Assertions
// ---------------------------------------------------------------------------------------------

/** Awaits `promise` and ignores a rejection (a refused cross-tenant write is as good as a no-op). */
async function attempt(promise: Promise<unknown>): Promise<void> {
  await promise.then(
    () => undefined,
    () => undefined,
  );
}

function count<T>(values: T[], predicate: (value: T) => boolean): number {
  return values.filter(predicate).length;
}

function descending(values: string[]): string[] {
  return [...values].sort().reverse();
}

// ---------------------------------------------------------------------------------------------
// The suite
// ---------------------------------------------------------------------------------------------

/** Registers the port-contract tests of the Store that `getStore` returns. */
export function describePortContracts(getStore: () => Store, test: ConformanceTest = plainTest): void {
  const run = <T>(tenantId: string, fn: (tx: Tx) => Promise<T>): Promise<T> =>
    getStore().transaction(tenantId, fn);

  async function newTenant(over: Partial<Tenant> = {}): Promise<string> {
    const id = newId();
    await run(id, (tx) => tx.tenants.insert(tenantRow(id, over)));
    return id;
  }

  interface Seed {
    tenantId: string;
    customer: Customer;
    reward: Reward;
    rule: Rule;
    budget: Budget;
    refs: Refs;
  }
  /** A fresh tenant with one customer, reward, rule and budget. */
  async function seed(): Promise<Seed> {
    const tenantId = await newTenant();
    const customer = customerRow(tenantId);
    const reward = rewardRow(tenantId);
    const rule = ruleRow(tenantId, reward.id);
    const budget = budgetRow(tenantId);
    await run(tenantId, async (tx) => {
      await tx.customers.insert(customer);
      await tx.rewards.insert(reward);
      await tx.rules.insert(rule);
      await tx.budgets.insert(budget);
    });
    return {
      tenantId,
      customer,
      reward,
      rule,
      budget,
      refs: { customer_id: customer.id, reward_id: reward.id, rule_id: rule.id },
    };
  }

  describe('store', () => {
    test('ping resolves and capabilities say whether transactions run in parallel', async () => {
      await expect(getStore().ping()).resolves.toBeUndefined();
      expect(typeof getStore().capabilities.parallelTransactions).toBe('boolean');
    });
  });

  describe('transactions', () => {
    test('commit: what fn wrote is visible afterwards and its result is returned', async () => {
      const tenantId = await newTenant();
      const customer = customerRow(tenantId);
      const result = await run(tenantId, async (tx) => {
        await tx.customers.insert(customer);
        return 'done';
      });
      expect(result).toBe('done');
      expect(await run(tenantId, (tx) => tx.customers.get(customer.id))).toEqual(customer);
    });

    test('reads inside a transaction see its own writes', async () => {
      const { tenantId, budget } = await seed();
      const customer = customerRow(tenantId, { external_ref: unique('ref') });
      await run(tenantId, async (tx) => {
        await tx.customers.insert(customer);
        expect(await tx.customers.get(customer.id)).toEqual(customer);
        expect(await tx.customers.findByPhone(customer.phone!)).toEqual(customer);
        expect(await tx.customers.findByExternalRef(customer.external_ref!)).toEqual(customer);
        expect(ids((await tx.customers.list({}, { limit: 10 })).items)).toContain(customer.id);
        expect(await tx.customers.adjustPointsBalance(customer.id, 40)).toBe(40);
        expect((await tx.customers.get(customer.id))?.stats.points_balance).toBe(40);
        await tx.budgets.reserve({
          budgetId: budget.id,
          period: '2026-11',
          defaultLimit: 1000,
          amount: 300,
          hardCap: true,
        });
        expect((await tx.budgets.getPeriod(budget.id, '2026-11'))?.reserved).toBe(300);
      });
    });

    test('rollback: a throw inside fn leaves no trace and the error is rethrown', async () => {
      const { tenantId, customer, reward, rule, budget, refs } = await seed();
      const period = '2026-11';
      const capClaim: GlobalCapClaim = {
        ruleId: rule.id,
        capKey: 'g0',
        window: { kind: 'calendar', key: '2026-11-02' },
        max: 2,
      };
      const issued = issuanceRow(tenantId, refs, { state: 'issued' });
      const lot = lotRow(tenantId, customer.id, { remaining: 10, amount: 10 });
      const event = eventRow(tenantId, customer.id);
      await run(tenantId, async (tx) => {
        await tx.customers.adjustPointsBalance(customer.id, 50);
        await tx.budgets.reserve({
          budgetId: budget.id,
          period,
          defaultLimit: 1000,
          amount: 100,
          hardCap: true,
        });
        await tx.codes.add(reward.id, ['R-1', 'R-2'], at());
        await tx.issuances.insert(issued);
        await tx.caps.claimGlobal(capClaim);
        await tx.points.insertLot(lot);
        await tx.events.insert(event);
      });
      const before = await run(tenantId, async (tx) => ({
        tenant: await tx.tenants.get(),
        customer: await tx.customers.get(customer.id),
        period: await tx.budgets.getPeriod(budget.id, period),
      }));

      const newCustomer = customerRow(tenantId, { external_ref: unique('ref') });
      const newPhone = `+${uniqueDigits()}`;
      const newEvent = eventRow(tenantId, customer.id);
      const newKey = apiKeyRow(tenantId);
      const newRecord = idempotencyRow(tenantId);
      const boom = new Error('boom');
      const thrown = await rejection(
        run(tenantId, async (tx) => {
          await tx.customers.insert(newCustomer);
          await tx.customers.updateProfile({ ...customer, phone: newPhone, name: 'Changed' });
          await tx.customers.adjustPointsBalance(customer.id, 25);
          await tx.customers.recordEvent(customer.id, 'purchase', 999, at(DAY));
          await tx.events.insert(newEvent);
          await tx.events.setOutcome(event.id, {
            event_id: event.id,
            customer_id: customer.id,
            enrolled: false,
            decisions: [],
            issuance_ids: [],
          });
          await tx.budgets.reserve({
            budgetId: budget.id,
            period,
            defaultLimit: 1000,
            amount: 200,
            hardCap: true,
          });
          await tx.budgets.reserve({
            budgetId: budget.id,
            period: '2026-12',
            defaultLimit: 1000,
            amount: 1,
            hardCap: true,
          });
          await tx.budgets.markNotified(budget.id, period, 'threshold');
          await tx.budgets.topUp(budget.id, period, 1000, 500);
          await tx.budgets.appendLedger(budgetEntry(tenantId, budget.id));
          expect(await tx.codes.draw(reward.id, issued.id)).not.toBeNull();
          await tx.codes.add(reward.id, ['R-3'], at());
          await tx.issuances.transition({ ...issued, state: 'redeemed', redeemed_at: at() }, 'issued');
          await tx.issuances.insert(issuanceRow(tenantId, refs, { earned_at: at(HOUR) }));
          await tx.caps.claimGlobal(capClaim);
          await tx.rules.update({ ...rule, name: 'Changed', version: 2 }, 1);
          await tx.rewards.update({ ...reward, name: 'Changed' });
          await tx.budgets.update({ ...budget, name: 'Changed' });
          await tx.points.consumeLots(customer.id, 4);
          await tx.points.insertLot(lotRow(tenantId, customer.id));
          await tx.points.appendLedger(pointsEntry(tenantId, customer.id));
          await tx.campaigns.insert(campaignRow(tenantId));
          await tx.webhooks.insert(webhookRow(tenantId));
          await tx.outbox.append(outboxRow(tenantId));
          await tx.apiKeys.insert(newKey);
          await tx.idempotency.put(newRecord);
          await tx.tenants.update({ ...before.tenant!, name: 'Changed' });
          throw boom;
        }),
      );
      expect(thrown).toBe(boom);

      await run(tenantId, async (tx) => {
        expect(await tx.tenants.get()).toEqual(before.tenant);
        expect(await tx.customers.get(newCustomer.id)).toBeNull();
        expect(await tx.customers.findByPhone(newCustomer.phone!)).toBeNull();
        expect(await tx.customers.findByExternalRef(newCustomer.external_ref!)).toBeNull();
        expect(await tx.customers.get(customer.id)).toEqual(before.customer);
        expect(await tx.customers.findByPhone(customer.phone!)).toEqual(before.customer);
        expect(await tx.customers.findByPhone(newPhone)).toBeNull();
        expect(await tx.events.get(newEvent.id)).toBeNull();
        expect(await tx.events.findByIdempotencyKey(newEvent.idempotency_key)).toBeNull();
        expect((await tx.events.get(event.id))?.outcome).toBeNull();
        expect(await tx.budgets.getPeriod(budget.id, period)).toEqual(before.period);
        expect(await tx.budgets.getPeriod(budget.id, '2026-12')).toBeNull();
        expect((await tx.budgets.listPeriods(budget.id)).map((p) => p.period)).toEqual([period]);
        expect((await tx.budgets.listLedger(budget.id, null, { limit: 10 })).items).toEqual([]);
        expect(await tx.codes.counts(reward.id)).toEqual({ available: 2, used: 0 });
        expect(await tx.issuances.get(issued.id)).toEqual(issued);
        expect(await tx.issuances.countEarned(rule.id, null, null)).toBe(1);
        expect(await tx.rules.get(rule.id)).toEqual(rule);
        expect(await tx.rewards.get(reward.id)).toEqual(reward);
        expect(await tx.budgets.get(budget.id)).toEqual(budget);
        expect(await tx.points.listLots(customer.id)).toEqual([lot]);
        expect((await tx.points.listLedger(customer.id, { limit: 10 })).items).toEqual([]);
        expect((await tx.campaigns.list({ limit: 10 })).items).toEqual([]);
        expect((await tx.webhooks.list({ limit: 10 })).items).toEqual([]);
        expect((await tx.outbox.list({ limit: 10 })).items).toEqual([]);
        expect(await tx.apiKeys.get(newKey.id)).toBeNull();
        expect(await tx.idempotency.get(newRecord.key)).toBeNull();
        // The cap counter is back at 1 of 2.
        expect(await tx.caps.claimGlobal(capClaim)).toBe(true);
        expect(await tx.caps.claimGlobal(capClaim)).toBe(false);
      });
      expect(await getStore().platform.findApiKeyByHash(newKey.key_hash)).toBeNull();
      // The unique indexes were rolled back too: the same values can be written again.
      await run(tenantId, async (tx) => {
        await tx.customers.insert(newCustomer);
        await tx.events.insert(newEvent);
        await tx.apiKeys.insert(newKey);
        await tx.idempotency.put(newRecord);
      });
    });

    test('a rolled-back transaction does not block the ones after it', async () => {
      const tenantId = await newTenant();
      const results = await Promise.allSettled(
        Array.from({ length: 10 }, (_, i) =>
          run(tenantId, async (tx) => {
            await tx.customers.insert(customerRow(tenantId));
            if (i % 2 === 0) throw new Error(`fail ${i}`);
          }),
        ),
      );
      expect(count(results, (r) => r.status === 'rejected')).toBe(5);
      const listed = await run(tenantId, (tx) => tx.customers.list({}, { limit: 50 }));
      expect(listed.items).toHaveLength(5);
    });

    test('concurrent transactions all complete', async () => {
      const tenantId = await newTenant();
      const customers = Array.from({ length: 20 }, () => customerRow(tenantId));
      const results = await Promise.all(
        customers.map((c) =>
          run(tenantId, async (tx) => {
            await tx.customers.insert(c);
            return c.id;
          }),
        ),
      );
      expect(results).toEqual(ids(customers));
      const listed = await run(tenantId, (tx) => tx.customers.list({}, { limit: 50 }));
      expect(ids(listed.items).sort()).toEqual(ids(customers).sort());
    });

    test('rows are copied: mutating what was passed in or returned never changes the store', async () => {
      const tenantId = await newTenant();
      const customer = customerRow(tenantId, { tags: ['vip'], attributes: { nested: { level: 1 } } });
      const original = structuredClone(customer);
      await run(tenantId, async (tx) => {
        await tx.customers.insert(customer);
        customer.tags.push('mutated');
        (customer.attributes.nested as { level: number }).level = 99;
        customer.stats.counts.visit = 42;
        const read = await tx.customers.get(customer.id);
        read!.tags.push('mutated');
        read!.stats.points_balance = 1_000_000;
      });
      expect(await run(tenantId, (tx) => tx.customers.get(customer.id))).toEqual(original);
    });
  });

  describe('tenant isolation (invariant 7)', () => {
    test('a transaction sees its own tenant only', async () => {
      const a = await newTenant({ name: 'Shop A' });
      const b = await newTenant({ name: 'Shop B' });
      expect((await run(a, (tx) => tx.tenants.get()))?.name).toBe('Shop A');
      expect((await run(b, (tx) => tx.tenants.get()))?.name).toBe('Shop B');
      expect(await run(newId(), (tx) => tx.tenants.get())).toBeNull();
      await attempt(run(b, (tx) => tx.tenants.update(tenantRow(a, { name: 'Hijacked' }))));
      await attempt(run(b, (tx) => tx.tenants.insert(tenantRow(a, { name: 'Hijacked' }))));
      expect((await run(a, (tx) => tx.tenants.get()))?.name).toBe('Shop A');
    });

    test('customers and events of another tenant cannot be read or changed', async () => {
      const a = await seed();
      const b = await newTenant();
      const customer = customerRow(a.tenantId, { external_ref: unique('ref') });
      const event = eventRow(a.tenantId, customer.id);
      await run(a.tenantId, async (tx) => {
        await tx.customers.insert(customer);
        await tx.customers.adjustPointsBalance(customer.id, 100);
        await tx.events.insert(event);
      });
      const stored = await run(a.tenantId, (tx) => tx.customers.get(customer.id));

      await run(b, async (tx) => {
        expect(await tx.customers.get(customer.id)).toBeNull();
        expect(await tx.customers.lock(customer.id)).toBeNull();
        expect(await tx.customers.findByPhone(customer.phone!)).toBeNull();
        expect(await tx.customers.findByExternalRef(customer.external_ref!)).toBeNull();
        expect((await tx.customers.list({}, { limit: 50 })).items).toEqual([]);
        expect(await tx.customers.adjustPointsBalance(customer.id, -10)).toBeNull();
        expect(await tx.events.get(event.id)).toBeNull();
        expect(await tx.events.findByIdempotencyKey(event.idempotency_key)).toBeNull();
        expect((await tx.events.list({}, { limit: 50 })).items).toEqual([]);
        expect((await tx.events.list({ customer_id: customer.id }, { limit: 50 })).items).toEqual([]);
      });
      await attempt(
        run(b, (tx) => tx.customers.updateProfile({ ...customer, tenant_id: b, name: 'Hijacked' })),
      );
      await attempt(run(b, (tx) => tx.customers.updateProfile({ ...customer, name: 'Hijacked' })));
      await attempt(run(b, (tx) => tx.customers.recordEvent(customer.id, 'purchase', 500, at(DAY))));
      await attempt(
        run(b, (tx) =>
          tx.events.setOutcome(event.id, {
            event_id: event.id,
            customer_id: customer.id,
            enrolled: true,
            decisions: [],
            issuance_ids: [],
          }),
        ),
      );
      // The same phone, external ref and idempotency key are free in another tenant.
      await run(b, async (tx) => {
        const twin = customerRow(b, { phone: customer.phone, external_ref: customer.external_ref });
        await tx.customers.insert(twin);
        await tx.events.insert(eventRow(b, twin.id, { idempotency_key: event.idempotency_key }));
      });

      await run(a.tenantId, async (tx) => {
        expect(await tx.customers.get(customer.id)).toEqual(stored);
        expect(await tx.customers.findByPhone(customer.phone!)).toEqual(stored);
        expect(await tx.events.get(event.id)).toEqual(event);
        expect(await tx.events.findByIdempotencyKey(event.idempotency_key)).toEqual(event);
      });
    });

    test('rows written with the tenant_id of another tenant never land in that tenant', async () => {
      const a = await newTenant();
      const b = await newTenant();
      const customer = customerRow(a);
      const outbox = outboxRow(a);
      // One refusal on every store: ForeignTenantRowError (STATE_CONFLICT, 409), before any write.
      const foreign = async (write: (tx: Tx) => Promise<unknown>) => {
        const error = await run(b, write).then(
          () => null,
          (e: unknown) => e,
        );
        expect(error).toBeInstanceOf(ForeignTenantRowError);
        expect((error as ForeignTenantRowError).code).toBe('STATE_CONFLICT');
      };
      await foreign((tx) => tx.customers.insert(customer));
      await foreign((tx) => tx.outbox.append(outbox));
      const reward = rewardRow(a);
      await foreign((tx) => tx.rewards.insert(reward));
      await foreign((tx) => tx.rules.insert(ruleRow(a, reward.id)));
      await foreign((tx) => tx.budgets.insert(budgetRow(a)));
      await foreign((tx) => tx.campaigns.insert(campaignRow(a)));
      await foreign((tx) => tx.webhooks.insert(webhookRow(a)));
      await run(a, async (tx) => {
        expect(await tx.customers.get(customer.id)).toBeNull();
        expect(await tx.customers.findByPhone(customer.phone!)).toBeNull();
        expect((await tx.outbox.list({ limit: 10 })).items).toEqual([]);
      });
    });

    test('rules, rewards, campaigns and webhooks of another tenant cannot be read or changed', async () => {
      const a = await seed();
      const b = await newTenant();
      const campaign = campaignRow(a.tenantId);
      const webhook = webhookRow(a.tenantId);
      await run(a.tenantId, async (tx) => {
        await tx.campaigns.insert(campaign);
        await tx.webhooks.insert(webhook);
      });
      await run(b, async (tx) => {
        expect(await tx.rules.get(a.rule.id)).toBeNull();
        expect((await tx.rules.list({ limit: 50 })).items).toEqual([]);
        expect(await tx.rules.listActiveForEventType('purchase')).toEqual([]);
        expect(await tx.rules.update({ ...a.rule, name: 'Hijacked', version: 2 }, 1)).toBe(false);
        expect(await tx.rules.delete(a.rule.id)).toBe(false);
        expect(await tx.rewards.get(a.reward.id)).toBeNull();
        expect((await tx.rewards.list({ limit: 50 })).items).toEqual([]);
        expect(await tx.campaigns.get(campaign.id)).toBeNull();
        expect((await tx.campaigns.list({ limit: 50 })).items).toEqual([]);
        expect(await tx.webhooks.get(webhook.id)).toBeNull();
        expect((await tx.webhooks.list({ limit: 50 })).items).toEqual([]);
        expect(await tx.webhooks.delete(webhook.id)).toBe(false);
      });
      await attempt(run(b, (tx) => tx.rewards.update({ ...a.reward, name: 'Hijacked' })));
      await attempt(run(b, (tx) => tx.campaigns.update({ ...campaign, name: 'Hijacked' })));
      await attempt(run(b, (tx) => tx.webhooks.update({ ...webhook, url: 'https://evil.example/' })));
      await run(a.tenantId, async (tx) => {
        expect(await tx.rules.get(a.rule.id)).toEqual(a.rule);
        expect(await tx.rewards.get(a.reward.id)).toEqual(a.reward);
        expect(await tx.campaigns.get(campaign.id)).toEqual(campaign);
        expect(await tx.webhooks.get(webhook.id)).toEqual(webhook);
      });
    });

    test('issuances, codes and caps of another tenant cannot be read or changed', async () => {
      const a = await seed();
      const b = await newTenant();
      const issuance = issuanceRow(a.tenantId, a.refs, {
        code: 'A-CODE-1',
        expires_at: at(-DAY),
      });
      const claim: GlobalCapClaim = { ruleId: a.rule.id, capKey: 'g0', window: { kind: 'lifetime' }, max: 2 };
      await run(a.tenantId, async (tx) => {
        await tx.codes.add(a.reward.id, ['A-CODE-1', 'A-CODE-2'], at());
        await tx.issuances.insert(issuance);
        expect(await tx.caps.claimGlobal(claim)).toBe(true);
      });
      await run(b, async (tx) => {
        expect(await tx.issuances.get(issuance.id)).toBeNull();
        expect(await tx.issuances.getByCode('A-CODE-1')).toBeNull();
        expect((await tx.issuances.list({}, { limit: 50 })).items).toEqual([]);
        expect(await tx.issuances.countEarned(a.rule.id, null, null)).toBe(0);
        expect(await tx.issuances.countEarned(a.rule.id, a.customer.id, null)).toBe(0);
        expect(await tx.issuances.lastEarnedAt(a.rule.id, a.customer.id)).toBeNull();
        expect(await tx.issuances.listDue(at(), 100)).toEqual([]);
        expect(
          await tx.issuances.transition({ ...issuance, tenant_id: b, state: 'redeemed' }, 'issued'),
        ).toBeNull();
        expect(await tx.codes.counts(a.reward.id)).toEqual({ available: 0, used: 0 });
        expect(await tx.codes.draw(a.reward.id, newId())).toBeNull();
      });
      await attempt(run(b, (tx) => tx.issuances.transition({ ...issuance, state: 'redeemed' }, 'issued')));
      await attempt(run(b, (tx) => tx.codes.release(a.reward.id, 'A-CODE-2')));
      await attempt(run(b, (tx) => tx.caps.claimGlobal(claim)));
      await attempt(run(b, (tx) => tx.caps.releaseGlobal(claim)));
      await run(a.tenantId, async (tx) => {
        expect(await tx.issuances.get(issuance.id)).toEqual(issuance);
        expect(await tx.codes.counts(a.reward.id)).toEqual({ available: 2, used: 0 });
        // Tenant B's claims did not use tenant A's counter, nor did its release give one back.
        expect(await tx.caps.claimGlobal(claim)).toBe(true);
        expect(await tx.caps.claimGlobal(claim)).toBe(false);
      });
    });

    test('budgets and points of another tenant cannot be read or changed', async () => {
      const a = await seed();
      const b = await newTenant();
      const lot = lotRow(a.tenantId, a.customer.id, { expires_at: at(-DAY) });
      await run(a.tenantId, async (tx) => {
        await tx.budgets.reserve({
          budgetId: a.budget.id,
          period: '2026-11',
          defaultLimit: 1000,
          amount: 400,
          hardCap: true,
        });
        await tx.budgets.appendLedger(budgetEntry(a.tenantId, a.budget.id, { amount: 400 }));
        await tx.customers.adjustPointsBalance(a.customer.id, 10);
        await tx.points.insertLot(lot);
        await tx.points.appendLedger(pointsEntry(a.tenantId, a.customer.id, { lot_id: lot.id }));
      });
      const before = await run(a.tenantId, async (tx) => ({
        period: await tx.budgets.getPeriod(a.budget.id, '2026-11'),
        ledger: await tx.budgets.listLedger(a.budget.id, null, { limit: 10 }),
        lots: await tx.points.listLots(a.customer.id),
        points: await tx.points.listLedger(a.customer.id, { limit: 10 }),
      }));
      await run(b, async (tx) => {
        expect(await tx.budgets.get(a.budget.id)).toBeNull();
        expect((await tx.budgets.list({ limit: 50 })).items).toEqual([]);
        expect(await tx.budgets.getPeriod(a.budget.id, '2026-11')).toBeNull();
        expect(await tx.budgets.listPeriods(a.budget.id)).toEqual([]);
        expect((await tx.budgets.listLedger(a.budget.id, null, { limit: 10 })).items).toEqual([]);
        expect(await tx.budgets.markNotified(a.budget.id, '2026-11', 'threshold')).toBe(false);
        expect(await tx.points.listLots(a.customer.id)).toEqual([]);
        expect(await tx.points.listDueLots(at(), 100)).toEqual([]);
        expect(await tx.points.expireLot(lot.id)).toBe(0);
        expect((await tx.points.listLedger(a.customer.id, { limit: 10 })).items).toEqual([]);
      });
      const budgetId = a.budget.id;
      await attempt(
        run(b, (tx) =>
          tx.budgets.reserve({ budgetId, period: '2026-11', defaultLimit: 1000, amount: 600, hardCap: true }),
        ),
      );
      await attempt(run(b, (tx) => tx.budgets.move(budgetId, '2026-11', 'reserved', 'utilized', 100)));
      await attempt(run(b, (tx) => tx.budgets.topUp(budgetId, '2026-11', 1000, 5000)));
      await attempt(run(b, (tx) => tx.budgets.update({ ...a.budget, limit: 1 })));
      await attempt(run(b, (tx) => tx.points.consumeLots(a.customer.id, 5)));
      await run(a.tenantId, async (tx) => {
        expect(await tx.budgets.get(a.budget.id)).toEqual(a.budget);
        expect(await tx.budgets.getPeriod(a.budget.id, '2026-11')).toEqual(before.period);
        expect(await tx.budgets.listLedger(a.budget.id, null, { limit: 10 })).toEqual(before.ledger);
        expect(await tx.points.listLots(a.customer.id)).toEqual(before.lots);
        expect(await tx.points.listLedger(a.customer.id, { limit: 10 })).toEqual(before.points);
        expect(await tx.budgets.markNotified(a.budget.id, '2026-11', 'threshold')).toBe(true);
      });
    });

    test('outbox, API keys and idempotency records of another tenant cannot be read or changed', async () => {
      const a = await newTenant();
      const b = await newTenant();
      const outbox = outboxRow(a);
      const key = apiKeyRow(a);
      const record = idempotencyRow(a, { created_at: at(-10 * DAY) });
      await run(a, async (tx) => {
        await tx.outbox.append(outbox);
        await tx.apiKeys.insert(key);
        await tx.idempotency.put(record);
      });
      await run(b, async (tx) => {
        expect((await tx.outbox.list({ limit: 10 })).items).toEqual([]);
        expect(await tx.apiKeys.get(key.id)).toBeNull();
        expect((await tx.apiKeys.list({ limit: 10 })).items).toEqual([]);
        expect(await tx.apiKeys.revoke(key.id, at())).toBe(false);
        expect(await tx.idempotency.get(record.key)).toBeNull();
        expect(await tx.idempotency.purge(at(DAY))).toBe(0);
      });
      await run(b, (tx) => tx.idempotency.put(idempotencyRow(b, { key: record.key })));
      await run(a, async (tx) => {
        expect((await tx.outbox.list({ limit: 10 })).items).toEqual([outbox]);
        expect(await tx.apiKeys.get(key.id)).toEqual(key);
        expect(await tx.idempotency.get(record.key)).toEqual(record);
      });
    });
  });

  describe('unique values', () => {
    test('tenant id', async () => {
      const id = await newTenant();
      await expectUniqueViolation(
        run(id, (tx) => tx.tenants.insert(tenantRow(id))),
        'id',
      );
    });

    test('customer phone and external_ref on insert', async () => {
      const tenantId = await newTenant();
      const first = customerRow(tenantId, { external_ref: unique('ref') });
      await run(tenantId, (tx) => tx.customers.insert(first));
      await expectUniqueViolation(
        run(tenantId, (tx) => tx.customers.insert(customerRow(tenantId, { phone: first.phone }))),
        'phone',
      );
      await expectUniqueViolation(
        run(tenantId, (tx) =>
          tx.customers.insert(customerRow(tenantId, { external_ref: first.external_ref })),
        ),
        'external_ref',
      );
      // Null phones and refs never collide.
      await run(tenantId, async (tx) => {
        await tx.customers.insert(customerRow(tenantId, { phone: null, external_ref: unique('ref') }));
        await tx.customers.insert(customerRow(tenantId, { phone: null, external_ref: unique('ref') }));
        await tx.customers.insert(customerRow(tenantId, { external_ref: null }));
        await tx.customers.insert(customerRow(tenantId, { external_ref: null }));
      });
    });

    test('customer phone and external_ref on updateProfile', async () => {
      const tenantId = await newTenant();
      const first = customerRow(tenantId, { external_ref: unique('ref') });
      const second = customerRow(tenantId, { external_ref: unique('ref') });
      await run(tenantId, async (tx) => {
        await tx.customers.insert(first);
        await tx.customers.insert(second);
      });
      await expectUniqueViolation(
        run(tenantId, (tx) => tx.customers.updateProfile({ ...second, phone: first.phone })),
        'phone',
      );
      await expectUniqueViolation(
        run(tenantId, (tx) => tx.customers.updateProfile({ ...second, external_ref: first.external_ref })),
        'external_ref',
      );
      // Writing a customer's own values back is no conflict.
      await run(tenantId, (tx) => tx.customers.updateProfile({ ...second, name: 'Same values' }));
      expect((await run(tenantId, (tx) => tx.customers.get(second.id)))?.name).toBe('Same values');
    });

    test('event idempotency_key, also between concurrent transactions', async () => {
      const { tenantId, customer } = await seed();
      const first = eventRow(tenantId, customer.id);
      await run(tenantId, (tx) => tx.events.insert(first));
      await expectUniqueViolation(
        run(tenantId, (tx) =>
          tx.events.insert(eventRow(tenantId, customer.id, { idempotency_key: first.idempotency_key })),
        ),
        'idempotency_key',
      );
      const key = unique('evt');
      const results = await Promise.allSettled(
        Array.from({ length: 5 }, () =>
          run(tenantId, (tx) => tx.events.insert(eventRow(tenantId, customer.id, { idempotency_key: key }))),
        ),
      );
      expect(count(results, (r) => r.status === 'fulfilled')).toBe(1);
      for (const r of results) {
        if (r.status === 'rejected')
          expect(r.reason).toMatchObject({ name: 'UniqueViolationError', field: 'idempotency_key' });
      }
    });

    test('API key key_hash', async () => {
      const tenantId = await newTenant();
      const key = apiKeyRow(tenantId);
      await run(tenantId, (tx) => tx.apiKeys.insert(key));
      await expectUniqueViolation(
        run(tenantId, (tx) => tx.apiKeys.insert(apiKeyRow(tenantId, { key_hash: key.key_hash }))),
        'key_hash',
      );
    });

    test('idempotency record key', async () => {
      const tenantId = await newTenant();
      const record = idempotencyRow(tenantId);
      await run(tenantId, (tx) => tx.idempotency.put(record));
      await expectUniqueViolation(
        run(tenantId, (tx) => tx.idempotency.put(idempotencyRow(tenantId, { key: record.key, status: 500 }))),
        'key',
      );
      expect(await run(tenantId, (tx) => tx.idempotency.get(record.key))).toEqual(record);
    });
  });

  describe('budgets', () => {
    test('reserve creates the period with defaultLimit; later calls keep its limit', async () => {
      const { tenantId, budget } = await seed();
      await run(tenantId, async (tx) => {
        expect(await tx.budgets.getPeriod(budget.id, '2026-11')).toBeNull();
        const after = await tx.budgets.reserve({
          budgetId: budget.id,
          period: '2026-11',
          defaultLimit: 1000,
          amount: 100,
          hardCap: true,
        });
        const expected = {
          budget_id: budget.id,
          period: '2026-11',
          limit: 1000,
          reserved: 100,
          utilized: 0,
          spent: 0,
          threshold_notified: false,
          exhausted_notified: false,
        };
        expect(after).toEqual(expected);
        expect(await tx.budgets.getPeriod(budget.id, '2026-11')).toEqual(expected);
        const again = await tx.budgets.reserve({
          budgetId: budget.id,
          period: '2026-11',
          defaultLimit: 5,
          amount: 50,
          hardCap: true,
        });
        expect(again).toMatchObject({ limit: 1000, reserved: 150 });
      });
    });

    test('a hard cap refuses exactly at the edge and changes nothing', async () => {
      const { tenantId, budget } = await seed();
      const reserve = (amount: number) =>
        run(tenantId, (tx) =>
          tx.budgets.reserve({
            budgetId: budget.id,
            period: '2026-11',
            defaultLimit: 1000,
            amount,
            hardCap: true,
          }),
        );
      expect(await reserve(600)).toMatchObject({ reserved: 600 });
      expect(await reserve(400)).toMatchObject({ reserved: 1000 });
      const full = await run(tenantId, (tx) => tx.budgets.getPeriod(budget.id, '2026-11'));
      expect(await reserve(1)).toBeNull();
      expect(await run(tenantId, (tx) => tx.budgets.getPeriod(budget.id, '2026-11'))).toEqual(full);

      // utilized and spent count against the limit too.
      await run(tenantId, async (tx) => {
        await tx.budgets.move(budget.id, '2026-11', 'reserved', 'utilized', 300);
        await tx.budgets.move(budget.id, '2026-11', 'utilized', 'spent', 200);
      });
      expect(await reserve(1)).toBeNull();
      await run(tenantId, (tx) => tx.budgets.move(budget.id, '2026-11', 'reserved', null, 100));
      expect(await reserve(101)).toBeNull();
      expect(await reserve(100)).toMatchObject({ reserved: 700, utilized: 100, spent: 200 });
    });

    test('without a hard cap a reservation may exceed the limit', async () => {
      const { tenantId, budget } = await seed();
      const after = await run(tenantId, (tx) =>
        tx.budgets.reserve({
          budgetId: budget.id,
          period: '2026-11',
          defaultLimit: 1000,
          amount: 1500,
          hardCap: false,
        }),
      );
      expect(after).toMatchObject({ limit: 1000, reserved: 1500 });
    });

    test('concurrent reservations never overshoot a hard cap', async () => {
      const { tenantId, budget } = await seed();
      const results = await Promise.all(
        Array.from({ length: 50 }, () =>
          run(tenantId, (tx) =>
            tx.budgets.reserve({
              budgetId: budget.id,
              period: '2026-11',
              defaultLimit: 1000,
              amount: 100,
              hardCap: true,
            }),
          ),
        ),
      );
      expect(count(results, (r) => r !== null)).toBe(10);
      const period = await run(tenantId, (tx) => tx.budgets.getPeriod(budget.id, '2026-11'));
      expect(period).toMatchObject({ limit: 1000, reserved: 1000, utilized: 0, spent: 0 });
    });

    test('move shifts counters and throws when the counter holds less than the amount', async () => {
      const { tenantId, budget } = await seed();
      await run(tenantId, (tx) =>
        tx.budgets.reserve({
          budgetId: budget.id,
          period: '2026-11',
          defaultLimit: 1000,
          amount: 500,
          hardCap: true,
        }),
      );
      const moved = await run(tenantId, async (tx) => {
        await tx.budgets.move(budget.id, '2026-11', 'reserved', 'utilized', 300);
        await tx.budgets.move(budget.id, '2026-11', 'utilized', 'spent', 100);
        return tx.budgets.move(budget.id, '2026-11', 'reserved', null, 50);
      });
      expect(moved).toMatchObject({ reserved: 150, utilized: 200, spent: 100, limit: 1000 });
      const error = await rejection(
        run(tenantId, (tx) => tx.budgets.move(budget.id, '2026-11', 'utilized', 'spent', 201)),
      );
      expect(error).toBeInstanceOf(Error);
      expect(await run(tenantId, (tx) => tx.budgets.getPeriod(budget.id, '2026-11'))).toEqual(moved);
      const emptied = await run(tenantId, (tx) =>
        tx.budgets.move(budget.id, '2026-11', 'utilized', null, 200),
      );
      expect(emptied).toMatchObject({ reserved: 150, utilized: 0, spent: 100 });
    });

    test('topUp raises the limit, creating the period first if needed', async () => {
      const { tenantId, budget } = await seed();
      const created = await run(tenantId, (tx) => tx.budgets.topUp(budget.id, '2026-12', 1000, 250));
      expect(created).toMatchObject({ limit: 1250, reserved: 0, utilized: 0, spent: 0 });
      await run(tenantId, (tx) =>
        tx.budgets.reserve({
          budgetId: budget.id,
          period: '2026-11',
          defaultLimit: 1000,
          amount: 1000,
          hardCap: true,
        }),
      );
      const raised = await run(tenantId, (tx) => tx.budgets.topUp(budget.id, '2026-11', 1000, 500));
      expect(raised).toMatchObject({ limit: 1500, reserved: 1000 });
      const more = await run(tenantId, (tx) =>
        tx.budgets.reserve({
          budgetId: budget.id,
          period: '2026-11',
          defaultLimit: 1000,
          amount: 500,
          hardCap: true,
        }),
      );
      expect(more).toMatchObject({ limit: 1500, reserved: 1500 });
    });

    test('listPeriods returns the periods of a budget, newest key first', async () => {
      const { tenantId, budget } = await seed();
      await run(tenantId, async (tx) => {
        for (const period of ['2026-10', '2026-12', '2026-11']) {
          await tx.budgets.reserve({
            budgetId: budget.id,
            period,
            defaultLimit: 1000,
            amount: 1,
            hardCap: true,
          });
        }
      });
      const periods = await run(tenantId, (tx) => tx.budgets.listPeriods(budget.id));
      expect(periods.map((p) => p.period)).toEqual(['2026-12', '2026-11', '2026-10']);
    });

    test('markNotified is true exactly once per period and kind, even concurrently', async () => {
      const { tenantId, budget } = await seed();
      await run(tenantId, async (tx) => {
        await tx.budgets.reserve({
          budgetId: budget.id,
          period: '2026-11',
          defaultLimit: 1000,
          amount: 900,
          hardCap: true,
        });
        await tx.budgets.reserve({
          budgetId: budget.id,
          period: '2026-12',
          defaultLimit: 1000,
          amount: 900,
          hardCap: true,
        });
      });
      const results = await Promise.all(
        Array.from({ length: 20 }, () =>
          run(tenantId, (tx) => tx.budgets.markNotified(budget.id, '2026-11', 'threshold')),
        ),
      );
      expect(count(results, (r) => r)).toBe(1);
      expect(await run(tenantId, (tx) => tx.budgets.markNotified(budget.id, '2026-11', 'threshold'))).toBe(
        false,
      );
      expect(await run(tenantId, (tx) => tx.budgets.markNotified(budget.id, '2026-11', 'exhausted'))).toBe(
        true,
      );
      expect(await run(tenantId, (tx) => tx.budgets.markNotified(budget.id, '2026-11', 'exhausted'))).toBe(
        false,
      );
      expect(await run(tenantId, (tx) => tx.budgets.markNotified(budget.id, '2026-12', 'threshold'))).toBe(
        true,
      );
      const period = await run(tenantId, (tx) => tx.budgets.getPeriod(budget.id, '2026-11'));
      expect(period).toMatchObject({ threshold_notified: true, exhausted_notified: true, reserved: 900 });
    });

    test('the budget ledger lists the rows of a budget, by period or all, newest first', async () => {
      const { tenantId, budget } = await seed();
      const other = budgetRow(tenantId);
      const november = [0, 1, 2].map(() => budgetEntry(tenantId, budget.id, { period: '2026-11' }));
      const december = [0, 1].map(() =>
        budgetEntry(tenantId, budget.id, { period: '2026-12', kind: 'topup', from: null, to: 'limit' }),
      );
      await run(tenantId, async (tx) => {
        await tx.budgets.insert(other);
        for (const entry of [...november, ...december]) await tx.budgets.appendLedger(entry);
        await tx.budgets.appendLedger(budgetEntry(tenantId, other.id));
      });
      await run(tenantId, async (tx) => {
        expect((await tx.budgets.listLedger(budget.id, '2026-11', { limit: 10 })).items).toEqual(
          [...november].reverse(),
        );
        expect(ids((await tx.budgets.listLedger(budget.id, null, { limit: 10 })).items)).toEqual(
          descending(ids([...november, ...december])),
        );
      });
    });

    test('budgets: insert, get, update, list', async () => {
      const tenantId = await newTenant();
      const budget = budgetRow(tenantId);
      await run(tenantId, (tx) => tx.budgets.insert(budget));
      await run(tenantId, (tx) => tx.budgets.update({ ...budget, limit: 5000, hard_cap: false }));
      await run(tenantId, async (tx) => {
        expect(await tx.budgets.get(budget.id)).toEqual({ ...budget, limit: 5000, hard_cap: false });
        expect(ids((await tx.budgets.list({ limit: 10 })).items)).toEqual([budget.id]);
        expect(await tx.budgets.get(newId())).toBeNull();
      });
    });
  });

  describe('voucher codes', () => {
    test('add skips and reports codes already in the pool; counts', async () => {
      const { tenantId, reward } = await seed();
      await run(tenantId, async (tx) => {
        expect(await tx.codes.counts(reward.id)).toEqual({ available: 0, used: 0 });
        expect(await tx.codes.add(reward.id, ['A', 'B', 'C'], at())).toEqual({ added: 3, duplicates: [] });
        expect(await tx.codes.add(reward.id, ['C', 'D', 'A'], at())).toEqual({
          added: 1,
          duplicates: ['C', 'A'],
        });
        expect(await tx.codes.counts(reward.id)).toEqual({ available: 4, used: 0 });
      });
      // Pools are per reward.
      const other = rewardRow(tenantId, { type: 'voucher' });
      await run(tenantId, async (tx) => {
        await tx.rewards.insert(other);
        expect(await tx.codes.add(other.id, ['A'], at())).toEqual({ added: 1, duplicates: [] });
      });
    });

    test('concurrent draws hand each code to at most one issuance', async () => {
      const { tenantId, reward } = await seed();
      const pool = ['V1', 'V2', 'V3', 'V4', 'V5'];
      await run(tenantId, (tx) => tx.codes.add(reward.id, pool, at()));
      const drawn = await Promise.all(
        Array.from({ length: 20 }, () => run(tenantId, (tx) => tx.codes.draw(reward.id, newId()))),
      );
      const codes = drawn.filter((c): c is string => c !== null);
      expect(codes).toHaveLength(5);
      expect([...new Set(codes)].sort()).toEqual(pool);
      expect(count(drawn, (c) => c === null)).toBe(15);
      expect(await run(tenantId, (tx) => tx.codes.counts(reward.id))).toEqual({ available: 0, used: 5 });
      expect(await run(tenantId, (tx) => tx.codes.draw(reward.id, newId()))).toBeNull();
    });

    test('release returns a drawn code to the pool', async () => {
      const { tenantId, reward } = await seed();
      await run(tenantId, (tx) => tx.codes.add(reward.id, ['ONLY'], at()));
      await run(tenantId, async (tx) => {
        expect(await tx.codes.draw(reward.id, newId())).toBe('ONLY');
        expect(await tx.codes.draw(reward.id, newId())).toBeNull();
        await tx.codes.release(reward.id, 'ONLY');
        expect(await tx.codes.counts(reward.id)).toEqual({ available: 1, used: 0 });
        expect(await tx.codes.draw(reward.id, newId())).toBe('ONLY');
      });
      expect(await run(tenantId, (tx) => tx.codes.counts(reward.id))).toEqual({ available: 0, used: 1 });
    });

    test('draw and counts of an unknown pool', async () => {
      const tenantId = await newTenant();
      await run(tenantId, async (tx) => {
        expect(await tx.codes.draw(newId(), newId())).toBeNull();
        expect(await tx.codes.counts(newId())).toEqual({ available: 0, used: 0 });
      });
    });

    test('getByCode finds the issuance holding a code', async () => {
      const { tenantId, refs } = await seed();
      const issuance = issuanceRow(tenantId, refs, { code: 'GIFT-42' });
      await run(tenantId, (tx) => tx.issuances.insert(issuance));
      await run(tenantId, async (tx) => {
        expect(await tx.issuances.getByCode('GIFT-42')).toEqual(issuance);
        expect(await tx.issuances.getByCode('GIFT-43')).toBeNull();
      });
    });
  });

  describe('issuances', () => {
    test('transition is a compare-and-set on the state', async () => {
      const { tenantId, refs } = await seed();
      const issuance = issuanceRow(tenantId, refs, { state: 'issued' });
      await run(tenantId, (tx) => tx.issuances.insert(issuance));
      const redeemed: Issuance = { ...issuance, state: 'redeemed', redeemed_at: at(HOUR) };
      await run(tenantId, async (tx) => {
        expect(await tx.issuances.transition(redeemed, 'reserved')).toBeNull();
        expect(await tx.issuances.get(issuance.id)).toEqual(issuance);
        expect(await tx.issuances.transition(redeemed, 'issued')).toEqual(redeemed);
        expect(await tx.issuances.transition({ ...issuance, state: 'cancelled' }, 'issued')).toBeNull();
        expect(await tx.issuances.transition({ ...redeemed, state: 'issued' }, 'reserved')).toBeNull();
        expect(await tx.issuances.transition({ ...issuance, id: newId() }, 'issued')).toBeNull();
      });
      expect(await run(tenantId, (tx) => tx.issuances.get(issuance.id))).toEqual(redeemed);
    });

    test('two concurrent transitions from the same state: exactly one wins', async () => {
      const { tenantId, refs } = await seed();
      const issuance = issuanceRow(tenantId, refs, { state: 'issued' });
      await run(tenantId, (tx) => tx.issuances.insert(issuance));
      const attempts: Issuance[] = [
        { ...issuance, state: 'redeemed', redeemed_at: at(HOUR) },
        { ...issuance, state: 'cancelled', cancelled_at: at(HOUR), cancel_reason: 'by test' },
        { ...issuance, state: 'expired' },
      ];
      const results = await Promise.all(
        attempts.map((next) => run(tenantId, (tx) => tx.issuances.transition(next, 'issued'))),
      );
      const winners = results.filter((r): r is Issuance => r !== null);
      expect(winners).toHaveLength(1);
      expect(await run(tenantId, (tx) => tx.issuances.get(issuance.id))).toEqual(winners[0]);
    });

    test('countEarned and lastEarnedAt count the issuances of a rule by customer and window', async () => {
      const { tenantId, refs, rule, reward } = await seed();
      const other = customerRow(tenantId);
      const otherRule = ruleRow(tenantId, reward.id);
      await run(tenantId, async (tx) => {
        await tx.customers.insert(other);
        await tx.rules.insert(otherRule);
        // Inserted out of earned_at order, in every state: all of them count.
        await tx.issuances.insert(issuanceRow(tenantId, refs, { earned_at: at(-HOUR), state: 'cancelled' }));
        await tx.issuances.insert(
          issuanceRow(tenantId, refs, { earned_at: at(-10 * DAY), state: 'redeemed' }),
        );
        await tx.issuances.insert(
          issuanceRow(tenantId, refs, { earned_at: at(-2 * DAY), state: 'reserved' }),
        );
        await tx.issuances.insert(
          issuanceRow(tenantId, { ...refs, customer_id: other.id }, { earned_at: at(-DAY) }),
        );
        await tx.issuances.insert(
          issuanceRow(tenantId, { ...refs, rule_id: otherRule.id }, { earned_at: at() }),
        );
        await tx.issuances.insert(issuanceRow(tenantId, { ...refs, rule_id: null }, { earned_at: at() }));
      });
      await run(tenantId, async (tx) => {
        expect(await tx.issuances.countEarned(rule.id, refs.customer_id, null)).toBe(3);
        expect(await tx.issuances.countEarned(rule.id, refs.customer_id, at(-2 * DAY))).toBe(2);
        expect(await tx.issuances.countEarned(rule.id, refs.customer_id, at(-2 * DAY + 1))).toBe(1);
        expect(await tx.issuances.countEarned(rule.id, refs.customer_id, at())).toBe(0);
        expect(await tx.issuances.countEarned(rule.id, null, null)).toBe(4);
        expect(await tx.issuances.countEarned(rule.id, null, at(-2 * DAY))).toBe(3);
        expect(await tx.issuances.countEarned(otherRule.id, null, null)).toBe(1);
        expect(await tx.issuances.countEarned(newId(), null, null)).toBe(0);
        expect(await tx.issuances.lastEarnedAt(rule.id, refs.customer_id)).toBe(at(-HOUR));
        expect(await tx.issuances.lastEarnedAt(rule.id, other.id)).toBe(at(-DAY));
        expect(await tx.issuances.lastEarnedAt(otherRule.id, other.id)).toBeNull();
        // openIngest answers the same, for the customer it finds.
        const reads = {
          last: [rule.id, otherRule.id],
          counts: [
            { ruleId: rule.id, since: null },
            { ruleId: rule.id, since: at(-2 * DAY + 1) },
            { ruleId: otherRule.id, since: null },
          ],
        };
        const customer = await tx.customers.get(refs.customer_id);
        expect(
          (await tx.openIngest(unique('key'), { phone: customer?.phone as string }, reads)).earned,
        ).toEqual({
          last: [at(-HOUR), at()],
          counts: [3, 1, 1],
        });
        expect(
          (await tx.openIngest(unique('key'), { external_ref: unique('nobody') }, reads)).earned,
        ).toEqual({
          last: [null, null],
          counts: [0, 0, 0],
        });
      });
    });

    test('listDue returns issued past expires_at and reserved past reserve_deadline only, oldest first', async () => {
      const { tenantId, refs } = await seed();
      const now = at();
      const expired = issuanceRow(tenantId, refs, { state: 'issued', expires_at: at(-2 * HOUR) });
      const lapsed = issuanceRow(tenantId, refs, {
        state: 'reserved',
        issued_at: null,
        reserve_deadline: at(-HOUR),
      });
      const exactlyNow = issuanceRow(tenantId, refs, { state: 'issued', expires_at: now });
      const notYet = [
        issuanceRow(tenantId, refs, { state: 'issued', expires_at: at(1) }),
        issuanceRow(tenantId, refs, { state: 'reserved', issued_at: null, reserve_deadline: at(HOUR) }),
        issuanceRow(tenantId, refs, { state: 'issued', expires_at: null }),
        issuanceRow(tenantId, refs, {
          state: 'redeemed',
          expires_at: at(-3 * HOUR),
          redeemed_at: at(-4 * HOUR),
        }),
        issuanceRow(tenantId, refs, {
          state: 'cancelled',
          reserve_deadline: at(-3 * HOUR),
          cancelled_at: at(-4 * HOUR),
        }),
        issuanceRow(tenantId, refs, { state: 'expired', expires_at: at(-3 * HOUR) }),
        // An issued row's reserve_deadline does not make it due.
        issuanceRow(tenantId, refs, {
          state: 'issued',
          reserve_deadline: at(-3 * HOUR),
          expires_at: at(DAY),
        }),
      ];
      await run(tenantId, async (tx) => {
        for (const row of [expired, lapsed, exactlyNow, ...notYet]) await tx.issuances.insert(row);
      });
      await run(tenantId, async (tx) => {
        expect(ids(await tx.issuances.listDue(now, 10))).toEqual([expired.id, lapsed.id, exactlyNow.id]);
        expect(ids(await tx.issuances.listDue(now, 1))).toEqual([expired.id]);
        expect(await tx.issuances.transition({ ...expired, state: 'expired' }, 'issued')).not.toBeNull();
        expect(ids(await tx.issuances.listDue(now, 10))).toEqual([lapsed.id, exactlyNow.id]);
      });
    });

    test('list filters by customer, rule, reward and state', async () => {
      const { tenantId, refs, reward } = await seed();
      const other = customerRow(tenantId);
      const otherRule = ruleRow(tenantId, reward.id);
      const otherReward = rewardRow(tenantId);
      const rows = [
        issuanceRow(tenantId, refs, { state: 'issued' }),
        issuanceRow(tenantId, refs, { state: 'redeemed' }),
        issuanceRow(tenantId, { ...refs, customer_id: other.id }, { state: 'issued' }),
        issuanceRow(tenantId, { ...refs, rule_id: otherRule.id }, { state: 'issued' }),
      ];
      const ofOtherReward = issuanceRow(
        tenantId,
        { ...refs, reward_id: otherReward.id },
        { state: 'issued' },
      );
      await run(tenantId, async (tx) => {
        await tx.customers.insert(other);
        await tx.rules.insert(otherRule);
        await tx.rewards.insert(otherReward);
        for (const row of rows) await tx.issuances.insert(row);
      });
      await run(tenantId, async (tx) => {
        const list = async (filter: Parameters<Tx['issuances']['list']>[0]) =>
          ids((await tx.issuances.list(filter, { limit: 50 })).items);
        const [own, redeemed, others, otherRules] = rows.map((r) => r.id) as [string, string, string, string];
        expect(await list({})).toEqual(descending([own, redeemed, others, otherRules]));
        expect(await list({ customer_id: refs.customer_id })).toEqual(
          descending([own, redeemed, otherRules]),
        );
        expect(await list({ rule_id: refs.rule_id! })).toEqual(descending([own, redeemed, others]));
        expect(await list({ state: 'issued' })).toEqual(descending([own, others, otherRules]));
        expect(
          await list({ customer_id: refs.customer_id, rule_id: refs.rule_id!, state: 'redeemed' }),
        ).toEqual([redeemed]);
        expect(await list({ reward_id: refs.reward_id })).toEqual(
          descending([own, redeemed, others, otherRules]),
        );
        expect(await list({ reward_id: otherReward.id })).toEqual([]);
      });
      await run(tenantId, (tx) => tx.issuances.insert(ofOtherReward));
      await run(tenantId, async (tx) => {
        expect(ids((await tx.issuances.list({ reward_id: otherReward.id }, { limit: 50 })).items)).toEqual([
          ofOtherReward.id,
        ]);
        expect(
          ids((await tx.issuances.list({ reward_id: refs.reward_id }, { limit: 50 })).items),
        ).not.toContain(ofOtherReward.id);
      });
    });

    test('a cursor that this list did not hand out is a ValidationError naming cursor', async () => {
      const { tenantId } = await seed();
      for (const cursor of ['garbage', 'AAAA', '', encodeURIComponent('../../etc'), 'bm90LWEtdXVpZA']) {
        const error = await run(tenantId, (tx) => tx.issuances.list({}, { limit: 10, cursor })).catch(
          (e: unknown) => e,
        );
        expect(error).toBeInstanceOf(ValidationError);
        expect((error as ValidationError).issues[0]?.path).toBe('cursor');
      }
    });
  });

  describe('customers and points', () => {
    test('adjustPointsBalance never lets a balance go negative', async () => {
      const { tenantId, customer } = await seed();
      await run(tenantId, async (tx) => {
        expect(await tx.customers.adjustPointsBalance(customer.id, 100)).toBe(100);
        expect(await tx.customers.adjustPointsBalance(customer.id, -30)).toBe(70);
        expect(await tx.customers.adjustPointsBalance(customer.id, -71)).toBeNull();
        expect((await tx.customers.get(customer.id))?.stats.points_balance).toBe(70);
        expect(await tx.customers.adjustPointsBalance(customer.id, -70)).toBe(0);
        expect(await tx.customers.adjustPointsBalance(customer.id, -1)).toBeNull();
        expect(await tx.customers.adjustPointsBalance(newId(), 10)).toBeNull();
      });
    });

    test('concurrent debits never overdraw a balance', async () => {
      const { tenantId, customer } = await seed();
      await run(tenantId, (tx) => tx.customers.adjustPointsBalance(customer.id, 100));
      const results = await Promise.all(
        Array.from({ length: 10 }, () =>
          run(tenantId, (tx) => tx.customers.adjustPointsBalance(customer.id, -30)),
        ),
      );
      expect(count(results, (r) => r !== null)).toBe(3);
      expect([...results.filter((r) => r !== null)].sort((x, y) => (y ?? 0) - (x ?? 0))).toEqual([
        70, 40, 10,
      ]);
      expect((await run(tenantId, (tx) => tx.customers.get(customer.id)))?.stats.points_balance).toBe(10);
    });

    test('recordEvent counts the event, its spend and the latest event time', async () => {
      const { tenantId, customer } = await seed();
      await run(tenantId, async (tx) => {
        const first = await tx.customers.recordEvent(customer.id, 'purchase', 500, at());
        expect(first.stats).toEqual({ counts: { purchase: 1 }, total_spend: 500, points_balance: 0 });
        expect(first.last_event_at).toBe(at());
        const second = await tx.customers.recordEvent(customer.id, 'visit', 0, at(-DAY));
        expect(second.stats).toEqual({
          counts: { purchase: 1, visit: 1 },
          total_spend: 500,
          points_balance: 0,
        });
        expect(second.last_event_at).toBe(at());
        const third = await tx.customers.recordEvent(customer.id, 'purchase', 250, at(DAY));
        expect(third.stats.counts).toEqual({ purchase: 2, visit: 1 });
        expect(third.stats.total_spend).toBe(750);
        expect(third.last_event_at).toBe(at(DAY));
        expect(await tx.customers.get(customer.id)).toEqual(third);
      });
    });

    test('updateProfile writes the profile and never stats, enrolled_at or last_event_at', async () => {
      const { tenantId, customer } = await seed();
      const stored = await run(tenantId, async (tx) => {
        await tx.customers.recordEvent(customer.id, 'visit', 0, at());
        await tx.customers.adjustPointsBalance(customer.id, 30);
        return (await tx.customers.get(customer.id))!;
      });
      const phone = `+${uniqueDigits()}`;
      const profile: Customer = {
        ...stored,
        phone,
        external_ref: unique('ref'),
        name: 'Rudo',
        birthday: '1990-05-17',
        attributes: { tier: 'silver' },
        tags: ['vip'],
        status: 'blocked',
        enrolled_at: at(DAY),
        last_event_at: at(2 * DAY),
        stats: { counts: { visit: 99 }, total_spend: 99, points_balance: 99 },
      };
      await run(tenantId, (tx) => tx.customers.updateProfile(profile));
      const expected: Customer = {
        ...profile,
        enrolled_at: stored.enrolled_at,
        last_event_at: stored.last_event_at,
        stats: stored.stats,
      };
      await run(tenantId, async (tx) => {
        expect(await tx.customers.get(customer.id)).toEqual(expected);
        expect(await tx.customers.findByPhone(phone)).toEqual(expected);
        expect(await tx.customers.findByPhone(customer.phone!)).toBeNull();
        expect(await tx.customers.findByExternalRef(profile.external_ref!)).toEqual(expected);
      });
      // The old phone is free again.
      await run(tenantId, (tx) => tx.customers.insert(customerRow(tenantId, { phone: customer.phone })));
    });

    test('lock returns the customer, or null for an unknown id', async () => {
      const { tenantId, customer } = await seed();
      await run(tenantId, async (tx) => {
        expect(await tx.customers.lock(customer.id)).toEqual(customer);
        expect(await tx.customers.lock(newId())).toBeNull();
      });
    });

    test('openIngest: the stored event, and the customer by id, else external_ref, else phone', async () => {
      const tenantId = await newTenant();
      const a = customerRow(tenantId, { external_ref: unique('ref') });
      const b = customerRow(tenantId, { external_ref: unique('ref') });
      const event = eventRow(tenantId, a.id);
      await run(tenantId, async (tx) => {
        await tx.customers.insert(a);
        await tx.customers.insert(b);
        await tx.events.insert(event);
      });
      const other = unique('key');
      await run(tenantId, async (tx) => {
        const tenant = await tx.tenants.getVersioned();
        expect(tenant?.tenant.id).toBe(tenantId);
        expect(await tx.openIngest(event.idempotency_key, { id: a.id }, NO_EARNED)).toEqual({
          tenant,
          seen: event,
          customer: a,
          referral: null,
          earned: { last: [], counts: [] },
        });
        // external_ref is asked before phone, whichever customer each names.
        const byRef = await tx.openIngest(
          other,
          {
            external_ref: a.external_ref as string,
            phone: b.phone as string,
          },
          NO_EARNED,
        );
        expect(byRef).toEqual({
          tenant,
          seen: null,
          customer: a,
          referral: null,
          earned: { last: [], counts: [] },
        });
        expect(
          (await tx.openIngest(other, { external_ref: unique('ref'), phone: b.phone as string }, NO_EARNED))
            .customer,
        ).toEqual(b);
        expect((await tx.openIngest(other, { phone: a.phone as string }, NO_EARNED)).customer).toEqual(a);
        // An id names the customer alone: nothing else is tried when nobody has it.
        expect(
          (await tx.openIngest(other, { id: newId(), external_ref: a.external_ref as string }, NO_EARNED))
            .customer,
        ).toBeNull();
        expect((await tx.openIngest(other, { external_ref: unique('ref') }, NO_EARNED)).customer).toBeNull();
      });
    });

    test('openIngest locks the customer it returns', async () => {
      const { tenantId, customer } = await seed();
      const results = await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          run(tenantId, async (tx) => {
            const { customer: locked } = await tx.openIngest(
              unique(`lock-${i}`),
              {
                phone: customer.phone as string,
              },
              NO_EARNED,
            );
            if (locked === null) throw new Error('customer vanished');
            const after = await tx.customers.recordEvent(locked.id, 'visit', 5, at());
            // What recordEvent answers is what is stored.
            expect(await tx.customers.get(locked.id)).toEqual(after);
            return after.stats.counts.visit;
          }),
        ),
      );
      expect([...results].sort((x, y) => (x ?? 0) - (y ?? 0))).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
      const stored = await run(tenantId, (tx) => tx.customers.get(customer.id));
      expect(stored?.stats.total_spend).toBe(50);
    });

    test('concurrent transactions that lock the same customer all complete', async () => {
      const { tenantId, customer } = await seed();
      const results = await Promise.all(
        Array.from({ length: 10 }, () =>
          run(tenantId, async (tx) => {
            const locked = await tx.customers.lock(customer.id);
            if (locked === null) throw new Error('customer vanished');
            // Read, then write what was read plus one: exact only because the lock serialises.
            await tx.customers.recordEvent(customer.id, 'visit', 0, at());
            return (await tx.customers.get(customer.id))!.stats.counts.visit;
          }),
        ),
      );
      expect([...results].sort((x, y) => (x ?? 0) - (y ?? 0))).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    });

    test('customers: list filters by status and tag', async () => {
      const tenantId = await newTenant();
      const rows = [
        customerRow(tenantId, { tags: ['vip'] }),
        customerRow(tenantId, { tags: ['vip', 'staff'], status: 'blocked' }),
        customerRow(tenantId, { tags: [] }),
      ];
      await run(tenantId, async (tx) => {
        for (const row of rows) await tx.customers.insert(row);
      });
      await run(tenantId, async (tx) => {
        const [vip, blocked, plain] = rows.map((r) => r.id) as [string, string, string];
        expect(ids((await tx.customers.list({}, { limit: 10 })).items)).toEqual(
          descending([vip, blocked, plain]),
        );
        expect(ids((await tx.customers.list({ tag: 'vip' }, { limit: 10 })).items)).toEqual(
          descending([vip, blocked]),
        );
        expect(ids((await tx.customers.list({ status: 'active' }, { limit: 10 })).items)).toEqual(
          descending([vip, plain]),
        );
        expect(
          ids((await tx.customers.list({ status: 'blocked', tag: 'staff' }, { limit: 10 })).items),
        ).toEqual([blocked]);
        expect((await tx.customers.list({ tag: 'none' }, { limit: 10 })).items).toEqual([]);
      });
    });

    test('consumeLots takes the lots expiring first, never-expiring last', async () => {
      const { tenantId, customer } = await seed();
      const never = lotRow(tenantId, customer.id, {
        earned_at: at(-20 * DAY),
        expires_at: null,
        amount: 10,
        remaining: 10,
      });
      const later = lotRow(tenantId, customer.id, {
        earned_at: at(-5 * DAY),
        expires_at: at(30 * DAY),
        amount: 10,
        remaining: 10,
      });
      const soonNewer = lotRow(tenantId, customer.id, {
        earned_at: at(-DAY),
        expires_at: at(10 * DAY),
        amount: 5,
        remaining: 5,
      });
      const soonOlder = lotRow(tenantId, customer.id, {
        earned_at: at(-3 * DAY),
        expires_at: at(10 * DAY),
        amount: 8,
        remaining: 5,
      });
      const empty = lotRow(tenantId, customer.id, { expires_at: at(DAY), amount: 4, remaining: 0 });
      await run(tenantId, async (tx) => {
        for (const lot of [never, later, soonNewer, soonOlder, empty]) await tx.points.insertLot(lot);
      });
      const taken = await run(tenantId, (tx) => tx.points.consumeLots(customer.id, 22));
      expect(taken).toEqual([
        { lot_id: soonOlder.id, amount: 5 },
        { lot_id: soonNewer.id, amount: 5 },
        { lot_id: later.id, amount: 10 },
        { lot_id: never.id, amount: 2 },
      ]);
      const remaining = async () =>
        Object.fromEntries(
          (await run(tenantId, (tx) => tx.points.listLots(customer.id))).map((l) => [l.id, l.remaining]),
        );
      const after = await remaining();
      expect(after).toEqual({
        [never.id]: 8,
        [later.id]: 0,
        [soonNewer.id]: 0,
        [soonOlder.id]: 0,
        [empty.id]: 0,
      });
      // More than the lots hold: throws, and (the transaction rolling back) nothing changes.
      await rejection(run(tenantId, (tx) => tx.points.consumeLots(customer.id, 9)));
      expect(await remaining()).toEqual(after);
      expect(await run(tenantId, (tx) => tx.points.consumeLots(customer.id, 8))).toEqual([
        { lot_id: never.id, amount: 8 },
      ]);
      expect(await run(tenantId, (tx) => tx.points.consumeLots(newId(), 0))).toEqual([]);
    });

    test('listDueLots and expireLot', async () => {
      const { tenantId, customer } = await seed();
      const older = lotRow(tenantId, customer.id, { expires_at: at(-2 * DAY), remaining: 5 });
      const newer = lotRow(tenantId, customer.id, { expires_at: at(-DAY), remaining: 3 });
      const atNow = lotRow(tenantId, customer.id, { expires_at: at(), remaining: 1 });
      const future = lotRow(tenantId, customer.id, { expires_at: at(1), remaining: 7 });
      const never = lotRow(tenantId, customer.id, { expires_at: null, remaining: 7 });
      const spent = lotRow(tenantId, customer.id, { expires_at: at(-3 * DAY), remaining: 0 });
      await run(tenantId, async (tx) => {
        for (const lot of [newer, atNow, future, never, spent, older]) await tx.points.insertLot(lot);
      });
      await run(tenantId, async (tx) => {
        expect(ids(await tx.points.listDueLots(at(), 10))).toEqual([older.id, newer.id, atNow.id]);
        expect(ids(await tx.points.listDueLots(at(), 1))).toEqual([older.id]);
        expect(await tx.points.expireLot(older.id)).toBe(5);
        expect(await tx.points.expireLot(older.id)).toBe(0);
        expect(await tx.points.expireLot(newId())).toBe(0);
        expect(ids(await tx.points.listDueLots(at(), 10))).toEqual([newer.id, atNow.id]);
        expect(await tx.points.consumeLots(customer.id, 3)).toEqual([{ lot_id: newer.id, amount: 3 }]);
        expect(ids(await tx.points.listDueLots(at(), 10))).toEqual([atNow.id]);
      });
    });

    test('points: listLots and the ledger per customer', async () => {
      const { tenantId, customer } = await seed();
      const other = customerRow(tenantId);
      const lots = [lotRow(tenantId, customer.id), lotRow(tenantId, customer.id)];
      const entries = [
        pointsEntry(tenantId, customer.id, { lot_id: lots[0]!.id }),
        pointsEntry(tenantId, customer.id, { kind: 'redeem', amount: -4 }),
        pointsEntry(tenantId, customer.id, { kind: 'adjust', amount: 1 }),
      ];
      await run(tenantId, async (tx) => {
        await tx.customers.insert(other);
        for (const lot of lots) await tx.points.insertLot(lot);
        await tx.points.insertLot(lotRow(tenantId, other.id));
        for (const entry of entries) await tx.points.appendLedger(entry);
        await tx.points.appendLedger(pointsEntry(tenantId, other.id));
      });
      await run(tenantId, async (tx) => {
        expect(ids(await tx.points.listLots(customer.id)).sort()).toEqual(ids(lots).sort());
        expect(await tx.points.listLots(newId())).toEqual([]);
        const page = await tx.points.listLedger(customer.id, { limit: 2 });
        expect(page.items).toEqual([entries[2], entries[1]]);
        const next = await tx.points.listLedger(customer.id, { limit: 2, cursor: page.next_cursor! });
        expect(next).toEqual({ items: [entries[0]], next_cursor: null });
      });
    });
  });

  describe('global caps', () => {
    test('calendar window: max uses, then false; another window key starts again', async () => {
      const { tenantId, rule } = await seed();
      const claim = (key: string, capKey = 'g0'): GlobalCapClaim => ({
        ruleId: rule.id,
        capKey,
        window: { kind: 'calendar', key },
        max: 3,
      });
      const results = await run(tenantId, async (tx) => {
        const out: boolean[] = [];
        for (let i = 0; i < 4; i++) out.push(await tx.caps.claimGlobal(claim('2026-11-02')));
        return out;
      });
      expect(results).toEqual([true, true, true, false]);
      await run(tenantId, async (tx) => {
        expect(await tx.caps.claimGlobal(claim('2026-11-02'))).toBe(false);
        expect(await tx.caps.claimGlobal(claim('2026-11-03'))).toBe(true);
        expect(await tx.caps.claimGlobal(claim('2026-11-02', 'g1'))).toBe(true);
        expect(await tx.caps.claimGlobal({ ...claim('2026-11-02'), max: 4 })).toBe(true);
      });
    });

    test('lifetime window', async () => {
      const { tenantId, rule } = await seed();
      const claim: GlobalCapClaim = { ruleId: rule.id, capKey: 'g0', window: { kind: 'lifetime' }, max: 2 };
      const results: boolean[] = [];
      for (let i = 0; i < 3; i++) results.push(await run(tenantId, (tx) => tx.caps.claimGlobal(claim)));
      expect(results).toEqual([true, true, false]);
    });

    test('concurrent claims never exceed max', async () => {
      const { tenantId, rule } = await seed();
      const claim: GlobalCapClaim = {
        ruleId: rule.id,
        capKey: 'g0',
        window: { kind: 'calendar', key: '2026-11' },
        max: 7,
      };
      const results = await Promise.all(
        Array.from({ length: 30 }, () => run(tenantId, (tx) => tx.caps.claimGlobal(claim))),
      );
      expect(count(results, (r) => r)).toBe(7);
    });

    test('releaseGlobal gives back a use claimed in the same transaction, never going below zero', async () => {
      const { tenantId, rule } = await seed();
      const claim: GlobalCapClaim = {
        ruleId: rule.id,
        capKey: 'g0',
        window: { kind: 'calendar', key: '2026-11' },
        max: 2,
      };
      await run(tenantId, async (tx) => {
        expect(await tx.caps.claimGlobal(claim)).toBe(true);
        expect(await tx.caps.claimGlobal(claim)).toBe(true);
        expect(await tx.caps.claimGlobal(claim)).toBe(false);
        await tx.caps.releaseGlobal(claim);
        expect(await tx.caps.claimGlobal(claim)).toBe(true);
        await tx.caps.releaseGlobal(claim);
        await tx.caps.releaseGlobal(claim);
        await tx.caps.releaseGlobal(claim);
        const after: boolean[] = [];
        for (let i = 0; i < 3; i++) after.push(await tx.caps.claimGlobal(claim));
        expect(after).toEqual([true, true, false]);
        // Rolling windows count issuances: releasing one needs nothing and is harmless.
        await tx.caps.releaseGlobal({ ...claim, window: { kind: 'rolling', since: at(-DAY) } });
      });
    });

    test('rolling window counts the issuances of the rule earned since, for all customers', async () => {
      const { tenantId, rule, refs } = await seed();
      const other = customerRow(tenantId);
      await run(tenantId, async (tx) => {
        await tx.customers.insert(other);
        await tx.issuances.insert(issuanceRow(tenantId, refs, { earned_at: at(-10 * DAY) }));
        await tx.issuances.insert(
          issuanceRow(tenantId, refs, { earned_at: at(-2 * DAY), state: 'cancelled' }),
        );
        await tx.issuances.insert(
          issuanceRow(tenantId, { ...refs, customer_id: other.id }, { earned_at: at(-DAY) }),
        );
      });
      const rolling = (since: string, max: number): GlobalCapClaim => ({
        ruleId: rule.id,
        capKey: 'g0',
        window: { kind: 'rolling', since },
        max,
      });
      await run(tenantId, async (tx) => {
        expect(await tx.caps.claimGlobal(rolling(at(-3 * DAY), 3))).toBe(true);
        expect(await tx.caps.claimGlobal(rolling(at(-3 * DAY), 2))).toBe(false);
        expect(await tx.caps.claimGlobal(rolling(at(-DAY), 1))).toBe(false);
        expect(await tx.caps.claimGlobal(rolling(at(-DAY + 1), 1))).toBe(true);
        expect(await tx.caps.claimGlobal(rolling(at(-30 * DAY), 3))).toBe(false);
      });
    });

    test('rolling window under concurrency: claim then insert never overshoots', async () => {
      const { tenantId, rule, refs } = await seed();
      const claim: GlobalCapClaim = {
        ruleId: rule.id,
        capKey: 'g0',
        window: { kind: 'rolling', since: at(-DAY) },
        max: 4,
      };
      const results = await Promise.all(
        Array.from({ length: 12 }, () =>
          run(tenantId, async (tx) => {
            if (!(await tx.caps.claimGlobal(claim))) return false;
            await tx.issuances.insert(issuanceRow(tenantId, refs, { earned_at: at() }));
            return true;
          }),
        ),
      );
      expect(count(results, (r) => r)).toBe(4);
      expect(await run(tenantId, (tx) => tx.issuances.countEarned(rule.id, null, at(-DAY)))).toBe(4);
    });
  });

  describe('pagination', () => {
    test('7 rows, limit 3: pages of 3, 3 and 1, newest first, no duplicates or gaps', async () => {
      const tenantId = await newTenant();
      const rows = Array.from({ length: 7 }, () => customerRow(tenantId));
      // Inserted in shuffled order: the order is by id, not by insertion.
      await run(tenantId, async (tx) => {
        for (const row of [rows[3], rows[0], rows[6], rows[1], rows[5], rows[2], rows[4]])
          await tx.customers.insert(row!);
      });
      const pages = await allPages((cursor) =>
        run(tenantId, (tx) => tx.customers.list({}, { limit: 3, cursor })),
      );
      expect(pages.map((p) => p.length)).toEqual([3, 3, 1]);
      expect(pages.flat().map((c) => c.id)).toEqual(descending(ids(rows)));
      expect(pages.flat()).toEqual([...rows].sort((a, b) => (a.id < b.id ? 1 : -1)));
    });

    test('a limit that divides the rows exactly ends with next_cursor null, not an empty page', async () => {
      const tenantId = await newTenant();
      await run(tenantId, async (tx) => {
        for (let i = 0; i < 6; i++) await tx.outbox.append(outboxRow(tenantId));
      });
      const pages = await allPages((cursor) => run(tenantId, (tx) => tx.outbox.list({ limit: 3, cursor })));
      expect(pages.map((p) => p.length)).toEqual([3, 3]);
      expect(await run(tenantId, (tx) => tx.outbox.list({ limit: 10 }))).toMatchObject({ next_cursor: null });
    });

    test('pages are stable when rows are inserted between fetches', async () => {
      const tenantId = await newTenant();
      const rows = Array.from({ length: 7 }, () => customerRow(tenantId));
      await run(tenantId, async (tx) => {
        for (const row of rows) await tx.customers.insert(row);
      });
      const seen: string[] = [];
      let cursor: string | undefined;
      for (let i = 0; i < 10; i++) {
        const page = await run(tenantId, (tx) => tx.customers.list({}, { limit: 3, cursor }));
        seen.push(...ids(page.items));
        // Someone enrols two customers while the client reads.
        await run(tenantId, async (tx) => {
          await tx.customers.insert(customerRow(tenantId));
          await tx.customers.insert(customerRow(tenantId));
        });
        if (page.next_cursor === null) break;
        cursor = page.next_cursor;
      }
      expect(seen).toEqual(descending(ids(rows)));
    });

    test('every list pages newest first with a filter applied before the limit', async () => {
      const { tenantId, customer, reward, budget, refs } = await seed();
      const lists: Array<{
        name: string;
        insert: (tx: Tx) => Promise<string>;
        list: (tx: Tx, limit: number, cursor?: string) => Promise<Page<{ id: string }>>;
      }> = [
        {
          name: 'events',
          insert: async (tx) => {
            const row = eventRow(tenantId, customer.id);
            await tx.events.insert(row);
            return row.id;
          },
          list: (tx, limit, cursor) =>
            tx.events.list({ customer_id: customer.id, type: 'purchase' }, { limit, cursor }),
        },
        {
          name: 'rules',
          insert: async (tx) => {
            const row = ruleRow(tenantId, reward.id);
            await tx.rules.insert(row);
            return row.id;
          },
          list: (tx, limit, cursor) => tx.rules.list({ limit, cursor }),
        },
        {
          name: 'rewards',
          insert: async (tx) => {
            const row = rewardRow(tenantId);
            await tx.rewards.insert(row);
            return row.id;
          },
          list: (tx, limit, cursor) => tx.rewards.list({ limit, cursor }),
        },
        {
          name: 'issuances',
          insert: async (tx) => {
            const row = issuanceRow(tenantId, refs, { state: 'reserved' });
            await tx.issuances.insert(row);
            return row.id;
          },
          list: (tx, limit, cursor) => tx.issuances.list({ state: 'reserved' }, { limit, cursor }),
        },
        {
          name: 'budgets',
          insert: async (tx) => {
            const row = budgetRow(tenantId);
            await tx.budgets.insert(row);
            return row.id;
          },
          list: (tx, limit, cursor) => tx.budgets.list({ limit, cursor }),
        },
        {
          name: 'budget ledger',
          insert: async (tx) => {
            const row = budgetEntry(tenantId, budget.id, { period: '2026-09' });
            await tx.budgets.appendLedger(row);
            return row.id;
          },
          list: (tx, limit, cursor) => tx.budgets.listLedger(budget.id, '2026-09', { limit, cursor }),
        },
        {
          name: 'points ledger',
          insert: async (tx) => {
            const row = pointsEntry(tenantId, customer.id);
            await tx.points.appendLedger(row);
            return row.id;
          },
          list: (tx, limit, cursor) => tx.points.listLedger(customer.id, { limit, cursor }),
        },
        {
          name: 'campaigns',
          insert: async (tx) => {
            const row = campaignRow(tenantId);
            await tx.campaigns.insert(row);
            return row.id;
          },
          list: (tx, limit, cursor) => tx.campaigns.list({ limit, cursor }),
        },
        {
          name: 'webhooks',
          insert: async (tx) => {
            const row = webhookRow(tenantId);
            await tx.webhooks.insert(row);
            return row.id;
          },
          list: (tx, limit, cursor) => tx.webhooks.list({ limit, cursor }),
        },
        {
          name: 'outbox',
          insert: async (tx) => {
            const row = outboxRow(tenantId);
            await tx.outbox.append(row);
            return row.id;
          },
          list: (tx, limit, cursor) => tx.outbox.list({ limit, cursor }),
        },
        {
          name: 'api keys',
          insert: async (tx) => {
            const row = apiKeyRow(tenantId);
            await tx.apiKeys.insert(row);
            return row.id;
          },
          list: (tx, limit, cursor) => tx.apiKeys.list({ limit, cursor }),
        },
      ];
      // Rows the filters must skip, interleaved with the listed ones.
      const noise = async (tx: Tx): Promise<void> => {
        await tx.events.insert(eventRow(tenantId, customer.id, { type: 'visit' }));
        await tx.issuances.insert(issuanceRow(tenantId, refs, { state: 'issued' }));
        await tx.budgets.appendLedger(budgetEntry(tenantId, budget.id, { period: '2026-10' }));
      };
      const existing = new Map<string, string[]>();
      for (const { name, list } of lists) {
        existing.set(name, ids((await run(tenantId, (tx) => list(tx, 200))).items));
      }
      const inserted = new Map<string, string[]>();
      await run(tenantId, async (tx) => {
        for (let i = 0; i < 7; i++) {
          for (const { name, insert } of lists)
            inserted.set(name, [...(inserted.get(name) ?? []), await insert(tx)]);
          await noise(tx);
        }
      });
      for (const { name, list } of lists) {
        const pages = await allPages((cursor) => run(tenantId, (tx) => list(tx, 3, cursor)));
        const all = pages.flat().map((row) => row.id);
        const expected = descending([...(existing.get(name) ?? []), ...(inserted.get(name) ?? [])]);
        expect({ name, ids: all }).toEqual({ name, ids: expected });
        expect({ name, sizes: pages.slice(0, -1).map((p) => p.length) }).toEqual({
          name,
          sizes: pages.slice(0, -1).map(() => 3),
        });
        // A cursor this list did not hand out is refused the same way on every store.
        const error = await run(tenantId, (tx) => list(tx, 3, 'bm90LWEtdXVpZA')).catch((e: unknown) => e);
        expect({ name, error: error instanceof ValidationError }).toEqual({ name, error: true });
        expect((error as ValidationError).issues[0]?.path).toBe('cursor');
      }
    });

    test(`a page holds at most ${MAX_PAGE_LIMIT} rows and at least one, whatever the limit asked`, async () => {
      const tenantId = await newTenant();
      await run(tenantId, async (tx) => {
        for (let i = 0; i < MAX_PAGE_LIMIT + 5; i++) await tx.customers.insert(customerRow(tenantId));
      });
      const first = await run(tenantId, (tx) => tx.customers.list({}, { limit: 10_000 }));
      expect(first.items).toHaveLength(MAX_PAGE_LIMIT);
      expect(first.next_cursor).not.toBeNull();
      const rest = await run(tenantId, (tx) =>
        tx.customers.list({}, { limit: 10_000, cursor: first.next_cursor ?? undefined }),
      );
      expect(rest).toMatchObject({ next_cursor: null });
      expect(rest.items).toHaveLength(5);
      for (const limit of [0, -3, 0.5, Number.NaN]) {
        const page = await run(tenantId, (tx) => tx.customers.list({}, { limit }));
        expect({ limit, rows: page.items.length }).toEqual({ limit, rows: 1 });
      }
    });

    test('platform.listTenants pages across tenants, newest first', async () => {
      const created: string[] = [];
      for (let i = 0; i < 4; i++) created.push(await newTenant());
      const pages = await allPages((cursor) => getStore().platform.listTenants({ limit: 3, cursor }));
      const all = pages.flat().map((t) => t.id);
      expect(new Set(all).size).toBe(all.length);
      expect(all).toEqual(descending(all));
      expect(all.filter((id) => created.includes(id))).toEqual(descending(created));
    });
  });

  describe('rules', () => {
    test('update applies only at the expected version', async () => {
      const { tenantId, rule } = await seed();
      const v2: Rule = { ...rule, name: 'Renamed', version: 2, updated_at: at(HOUR) };
      await run(tenantId, async (tx) => {
        expect(await tx.rules.update(v2, 1)).toBe(true);
        expect(await tx.rules.update({ ...v2, name: 'Stale', version: 2 }, 1)).toBe(false);
        expect(await tx.rules.update({ ...v2, id: newId() }, 1)).toBe(false);
      });
      expect(await run(tenantId, (tx) => tx.rules.get(rule.id))).toEqual(v2);
      const results = await Promise.all(
        ['A', 'B', 'C'].map((name) => run(tenantId, (tx) => tx.rules.update({ ...v2, name, version: 3 }, 2))),
      );
      expect(count(results, (r) => r)).toBe(1);
      expect((await run(tenantId, (tx) => tx.rules.get(rule.id)))?.version).toBe(3);
    });

    test('listActiveForEventType filters by type and activity, by priority then id', async () => {
      const tenantId = await newTenant();
      const reward = rewardRow(tenantId);
      await run(tenantId, (tx) => tx.rewards.insert(reward));
      const [idLow, idHigh] = ascendingIds(2) as [string, string];
      const tieHigh = ruleRow(tenantId, reward.id, { id: idHigh, priority: 10 });
      const tieLow = ruleRow(tenantId, reward.id, { id: idLow, priority: 10 });
      const first = ruleRow(tenantId, reward.id, { priority: -5, event_types: ['visit', 'purchase'] });
      const middle = ruleRow(tenantId, reward.id, { priority: 5 });
      const inactive = ruleRow(tenantId, reward.id, { priority: 1, active: false });
      const visitOnly = ruleRow(tenantId, reward.id, { priority: 0, event_types: ['visit'] });
      await run(tenantId, async (tx) => {
        for (const rule of [tieHigh, middle, inactive, visitOnly, tieLow, first]) await tx.rules.insert(rule);
      });
      await run(tenantId, async (tx) => {
        expect(await tx.rules.listActiveForEventType('purchase')).toEqual([first, middle, tieLow, tieHigh]);
        expect(ids(await tx.rules.listActiveForEventType('visit'))).toEqual([first.id, visitOnly.id]);
        expect(await tx.rules.listActiveForEventType('signup')).toEqual([]);
        expect(await tx.rules.delete(middle.id)).toBe(true);
        expect(await tx.rules.delete(middle.id)).toBe(false);
        expect(await tx.rules.get(middle.id)).toBeNull();
        expect(ids(await tx.rules.listActiveForEventType('purchase'))).toEqual([
          first.id,
          tieLow.id,
          tieHigh.id,
        ]);
      });
    });
  });

  describe('other repositories', () => {
    test('an update never rewrites created_at, on any repository', async () => {
      const { tenantId, reward, rule, budget, refs } = await seed();
      const later = at(30 * DAY);
      const campaign = campaignRow(tenantId);
      const webhook = webhookRow(tenantId);
      const issuance = issuanceRow(tenantId, refs);
      await run(tenantId, async (tx) => {
        await tx.campaigns.insert(campaign);
        await tx.webhooks.insert(webhook);
        await tx.issuances.insert(issuance);
      });
      const tenantBefore = await run(tenantId, (tx) => tx.tenants.get());
      await run(tenantId, async (tx) => {
        await tx.tenants.update({ ...tenantBefore!, name: 'Renamed', created_at: later });
        await tx.rewards.update({ ...reward, name: 'Renamed', created_at: later });
        expect(await tx.rules.update({ ...rule, name: 'Renamed', version: 2, created_at: later }, 1)).toBe(
          true,
        );
        await tx.budgets.update({ ...budget, name: 'Renamed', created_at: later });
        await tx.campaigns.update({ ...campaign, name: 'Renamed', created_at: later });
        await tx.webhooks.update({ ...webhook, url: 'https://example.com/renamed', created_at: later });
        expect(
          await tx.issuances.transition({ ...issuance, state: 'redeemed', created_at: later }, 'issued'),
        ).not.toBeNull();
      });
      await run(tenantId, async (tx) => {
        const stored = {
          tenant: await tx.tenants.get(),
          reward: await tx.rewards.get(reward.id),
          rule: await tx.rules.get(rule.id),
          budget: await tx.budgets.get(budget.id),
          campaign: await tx.campaigns.get(campaign.id),
          webhook: await tx.webhooks.get(webhook.id),
          issuance: await tx.issuances.get(issuance.id),
        };
        expect(Object.fromEntries(Object.entries(stored).map(([k, v]) => [k, v?.created_at]))).toEqual({
          tenant: tenantBefore?.created_at,
          reward: reward.created_at,
          rule: rule.created_at,
          budget: budget.created_at,
          campaign: campaign.created_at,
          webhook: webhook.created_at,
          issuance: issuance.created_at,
        });
        // The rest of each update did apply.
        expect([stored.tenant?.name, stored.reward?.name, stored.rule?.name, stored.issuance?.state]).toEqual(
          ['Renamed', 'Renamed', 'Renamed', 'redeemed'],
        );
      });
    });

    test('events: findByIdempotencyKey, setOutcome, list by customer and type', async () => {
      const { tenantId, customer } = await seed();
      const other = customerRow(tenantId);
      const purchase = eventRow(tenantId, customer.id);
      const visit = eventRow(tenantId, customer.id, { type: 'visit' });
      const others = eventRow(tenantId, other.id);
      await run(tenantId, async (tx) => {
        await tx.customers.insert(other);
        for (const e of [purchase, visit, others]) await tx.events.insert(e);
      });
      const outcome = {
        event_id: purchase.id,
        customer_id: customer.id,
        enrolled: false,
        decisions: [
          { rule_id: newId(), rule_name: 'r', outcome: 'not_matched' as const, reason: 'condition false' },
        ],
        issuance_ids: [],
      };
      await run(tenantId, (tx) => tx.events.setOutcome(purchase.id, outcome));
      await run(tenantId, async (tx) => {
        expect(await tx.events.findByIdempotencyKey(purchase.idempotency_key)).toEqual({
          ...purchase,
          outcome,
        });
        expect(await tx.events.findByIdempotencyKey('nope')).toBeNull();
        expect(await tx.events.get(visit.id)).toEqual(visit);
        expect(ids((await tx.events.list({ customer_id: customer.id }, { limit: 10 })).items)).toEqual(
          descending([purchase.id, visit.id]),
        );
        expect(ids((await tx.events.list({ type: 'purchase' }, { limit: 10 })).items)).toEqual(
          descending([purchase.id, others.id]),
        );
      });
    });

    test('rewards, campaigns and webhooks: insert, get, update, delete', async () => {
      const tenantId = await newTenant();
      const reward = rewardRow(tenantId);
      const campaign = campaignRow(tenantId);
      const webhook = webhookRow(tenantId);
      await run(tenantId, async (tx) => {
        await tx.rewards.insert(reward);
        await tx.campaigns.insert(campaign);
        await tx.webhooks.insert(webhook);
      });
      await run(tenantId, async (tx) => {
        await tx.rewards.update({ ...reward, name: 'Two coffees', value: 2 });
        await tx.campaigns.update({ ...campaign, status: 'active' });
        await tx.webhooks.update({ ...webhook, active: false, disabled_reason: 'too many failures' });
      });
      await run(tenantId, async (tx) => {
        expect(await tx.rewards.get(reward.id)).toEqual({ ...reward, name: 'Two coffees', value: 2 });
        expect(await tx.campaigns.get(campaign.id)).toEqual({ ...campaign, status: 'active' });
        expect(await tx.webhooks.get(webhook.id)).toEqual({
          ...webhook,
          active: false,
          disabled_reason: 'too many failures',
        });
        expect(await tx.webhooks.delete(webhook.id)).toBe(true);
        expect(await tx.webhooks.delete(webhook.id)).toBe(false);
        expect(await tx.webhooks.get(webhook.id)).toBeNull();
        expect((await tx.webhooks.list({ limit: 10 })).items).toEqual([]);
      });
    });

    test('idempotency records: put, get, purge', async () => {
      const tenantId = await newTenant();
      const old = idempotencyRow(tenantId, { created_at: at(-2 * DAY) });
      const boundary = idempotencyRow(tenantId, { created_at: at(-DAY) });
      const fresh = idempotencyRow(tenantId, { created_at: at() });
      await run(tenantId, async (tx) => {
        for (const r of [old, boundary, fresh]) await tx.idempotency.put(r);
      });
      await run(tenantId, async (tx) => {
        expect(await tx.idempotency.get(old.key)).toEqual(old);
        expect(await tx.idempotency.get('missing')).toBeNull();
        expect(await tx.idempotency.purge(at(-DAY))).toBe(1);
        expect(await tx.idempotency.get(old.key)).toBeNull();
        expect(await tx.idempotency.get(boundary.key)).toEqual(boundary);
        expect(await tx.idempotency.purge(at(-DAY))).toBe(0);
      });
      // A purged key can be used again.
      await run(tenantId, (tx) => tx.idempotency.put({ ...old, created_at: at() }));
    });

    test('outbox: append and list newest first', async () => {
      const tenantId = await newTenant();
      const rows = [
        outboxRow(tenantId),
        outboxRow(tenantId, { type: 'budget.threshold', data: { budget_id: newId() } }),
      ];
      await run(tenantId, async (tx) => {
        for (const r of rows) await tx.outbox.append(r);
      });
      expect(await run(tenantId, (tx) => tx.outbox.list({ limit: 10 }))).toEqual({
        items: [...rows].sort((a, b) => (a.id < b.id ? 1 : -1)),
        next_cursor: null,
      });
    });

    test('API keys: insert, get, revoke once, list; platform finds a key by hash across tenants', async () => {
      const a = await newTenant();
      const b = await newTenant();
      const keyA = apiKeyRow(a);
      const keyB = apiKeyRow(b, { role: 'admin' });
      await run(a, (tx) => tx.apiKeys.insert(keyA));
      await run(b, (tx) => tx.apiKeys.insert(keyB));
      await run(a, async (tx) => {
        expect(await tx.apiKeys.get(keyA.id)).toEqual(keyA);
        expect((await tx.apiKeys.list({ limit: 10 })).items).toEqual([keyA]);
        expect(await tx.apiKeys.revoke(keyA.id, at(HOUR))).toBe(true);
        expect(await tx.apiKeys.revoke(keyA.id, at(2 * HOUR))).toBe(false);
        expect(await tx.apiKeys.revoke(newId(), at())).toBe(false);
        expect(await tx.apiKeys.get(keyA.id)).toEqual({ ...keyA, revoked_at: at(HOUR) });
      });
      const { platform } = getStore();
      expect(await platform.findApiKeyByHash(keyA.key_hash)).toEqual({ ...keyA, revoked_at: at(HOUR) });
      expect(await platform.findApiKeyByHash(keyB.key_hash)).toEqual(keyB);
      expect(await platform.findApiKeyByHash('0'.repeat(64))).toBeNull();
    });

    test('platform: getTenant and listTenants', async () => {
      const id = newId();
      const tenant = tenantRow(id, { name: 'Platform shop', timezone: 'Africa/Harare' });
      await run(id, (tx) => tx.tenants.insert(tenant));
      const { platform } = getStore();
      expect(await platform.getTenant(id)).toEqual(tenant);
      expect(await platform.getTenant(newId())).toBeNull();
      const first = await platform.listTenants({ limit: 200 });
      expect(first.items.length).toBeGreaterThan(0);
      expect(first.items.length).toBeLessThanOrEqual(200);
      await run(id, (tx) => tx.tenants.update({ ...tenant, name: 'Renamed shop' }));
      expect((await platform.getTenant(id))?.name).toBe('Renamed shop');
    });
  });

  describe('outbox dispatch and webhook deliveries', () => {
    test('outbox: claimUndispatched returns undispatched rows oldest first; markDispatched takes them out', async () => {
      const tenantId = await newTenant();
      const rows = ascendingIds(5).map((id) => outboxRow(tenantId, { id }));
      await run(tenantId, async (tx) => {
        for (const r of [...rows].reverse()) await tx.outbox.append(r);
      });
      await run(tenantId, async (tx) => {
        expect(await tx.outbox.claimUndispatched(3)).toEqual(rows.slice(0, 3));
        await tx.outbox.markDispatched([rows[0]!.id, rows[2]!.id, newId()], at());
        expect(ids(await tx.outbox.claimUndispatched(10))).toEqual(ids([rows[1]!, rows[3]!, rows[4]!]));
      });
      // A rolled-back mark leaves the rows undispatched.
      await attempt(
        run(tenantId, async (tx) => {
          await tx.outbox.markDispatched([rows[1]!.id], at());
          throw new Error('roll back');
        }),
      );
      expect(ids(await run(tenantId, (tx) => tx.outbox.claimUndispatched(10)))).toEqual(
        ids([rows[1]!, rows[3]!, rows[4]!]),
      );
      // Dispatching changes nothing the list shows.
      expect((await run(tenantId, (tx) => tx.outbox.list({ limit: 10 }))).items).toHaveLength(5);
    });

    test('platform.backlog: the oldest undispatched outbox row and the pending deliveries, across tenants', async () => {
      // The store is shared with the other tests: rows dated 1971 are older than any of theirs,
      // and the pending count is compared before and after.
      const before = await getStore().platform.backlog();
      const [tenantA, tenantB] = [await newTenant(), await newTenant()];
      const old = '1971-01-02T03:04:05.678Z';
      const older = '1971-01-01T00:00:00.000Z';
      const rowA = outboxRow(tenantA, { created_at: old });
      const rowB = outboxRow(tenantB, { created_at: older });
      const hook = webhookRow(tenantB);
      const due = deliveryRow(tenantB, hook.id, { next_attempt_at: '1971-02-01T00:00:00.000Z' });
      const later = deliveryRow(tenantB, hook.id, { next_attempt_at: at(HOUR) });
      const done = deliveryRow(tenantB, hook.id, { status: 'delivered', next_attempt_at: null });
      await run(tenantA, (tx) => tx.outbox.append(rowA));
      await run(tenantB, async (tx) => {
        await tx.outbox.append(rowB);
        await tx.webhooks.insert(hook);
        for (const d of [due, later, done]) await tx.deliveries.insert(d);
      });
      expect(await getStore().platform.backlog()).toEqual({
        oldest_undispatched_at: older,
        pending_deliveries: before.pending_deliveries + 2,
        earliest_pending_attempt_at: '1971-02-01T00:00:00.000Z',
      });
      await run(tenantB, async (tx) => {
        await tx.outbox.markDispatched([rowB.id], at());
        await tx.deliveries.update({ ...due, status: 'delivered', next_attempt_at: null, updated_at: at() });
      });
      const after = await getStore().platform.backlog();
      expect(after.oldest_undispatched_at).toBe(old);
      expect(after.pending_deliveries).toBe(before.pending_deliveries + 1);
      expect(after.earliest_pending_attempt_at).not.toBe('1971-02-01T00:00:00.000Z');
      await run(tenantA, (tx) => tx.outbox.markDispatched([rowA.id], at()));
      await run(tenantB, (tx) =>
        tx.deliveries.update({ ...later, status: 'failed', next_attempt_at: null, updated_at: at() }),
      );
      const cleared = await getStore().platform.backlog();
      expect(cleared.oldest_undispatched_at === null || cleared.oldest_undispatched_at > old).toBe(true);
      expect(cleared.pending_deliveries).toBe(before.pending_deliveries);
    });

    test('outbox: concurrent claimUndispatched never returns a row twice', async () => {
      const tenantId = await newTenant();
      const rows = Array.from({ length: 24 }, () => outboxRow(tenantId));
      await run(tenantId, async (tx) => {
        for (const r of rows) await tx.outbox.append(r);
      });
      const claimed = await Promise.all(
        Array.from({ length: 4 }, () =>
          run(tenantId, async (tx) => {
            const batch = await tx.outbox.claimUndispatched(10);
            await tx.outbox.markDispatched(ids(batch), at());
            return ids(batch);
          }),
        ),
      );
      const all = claimed.flat();
      expect(new Set(all).size).toBe(all.length);
      // Whatever the interleaving, a last pass finds exactly the rows nobody took.
      const rest = await run(tenantId, (tx) => tx.outbox.claimUndispatched(100));
      expect(new Set([...all, ...ids(rest)])).toEqual(new Set(ids(rows)));
      expect(all.length + rest.length).toBe(rows.length);
    });

    test('deliveries: insert, get, update, list per subscription newest first, attempts oldest first', async () => {
      const tenantId = await newTenant();
      const hook = webhookRow(tenantId);
      const other = webhookRow(tenantId);
      const [d1, d2, d3] = ascendingIds(3).map((id, i) =>
        deliveryRow(tenantId, i === 2 ? other.id : hook.id, { id }),
      ) as [WebhookDelivery, WebhookDelivery, WebhookDelivery];
      await run(tenantId, async (tx) => {
        await tx.webhooks.insert(hook);
        await tx.webhooks.insert(other);
        for (const d of [d1, d2, d3]) await tx.deliveries.insert(d);
      });
      await expectUniqueViolation(
        run(tenantId, (tx) => tx.deliveries.insert(d1)),
        'id',
      );
      const late = attemptRow(tenantId, d1.id, { at: at(2 * HOUR), status_code: 200, error: null });
      const early = attemptRow(tenantId, d1.id, { at: at(HOUR), status_code: null, error: 'timeout' });
      const elsewhere = attemptRow(tenantId, d2.id);
      await run(tenantId, async (tx) => {
        for (const a of [late, early, elsewhere]) await tx.deliveries.appendAttempt(a);
        await tx.deliveries.update({
          ...d1,
          payload: 'must not change',
          status: 'delivered',
          attempts: 2,
          next_attempt_at: null,
          locked_until: null,
          last_status: 200,
          last_error: null,
          updated_at: at(2 * HOUR),
        });
      });
      await run(tenantId, async (tx) => {
        expect(await tx.deliveries.get(d1.id)).toEqual({
          ...d1,
          status: 'delivered',
          attempts: 2,
          next_attempt_at: null,
          last_status: 200,
          updated_at: at(2 * HOUR),
        });
        expect(await tx.deliveries.get(newId())).toBeNull();
        const pages = await allPages((cursor) =>
          tx.deliveries.listForSubscription(hook.id, { limit: 1, cursor }),
        );
        expect(pages.flat().map((d) => d.id)).toEqual([d2.id, d1.id]);
        expect(await tx.deliveries.listAttempts([d1.id])).toEqual([early, late]);
        expect(ids(await tx.deliveries.listAttempts([d1.id, d2.id]))).toEqual(ids([elsewhere, early, late]));
        expect(await tx.deliveries.listAttempts([])).toEqual([]);
      });
      // Another tenant sees none of it.
      const b = await newTenant();
      await run(b, async (tx) => {
        expect(await tx.deliveries.get(d1.id)).toBeNull();
        expect((await tx.deliveries.listForSubscription(hook.id, { limit: 10 })).items).toEqual([]);
        expect(await tx.deliveries.listAttempts([d1.id])).toEqual([]);
        expect(await tx.deliveries.claimDue(at(DAY), 10, 60_000)).toEqual([]);
        expect(await tx.deliveries.failPending(hook.id, 'x', at())).toBe(0);
      });
    });

    test('deliveries: claimDue leases due pending rows, earliest first, until the lease ends', async () => {
      const tenantId = await newTenant();
      const hook = webhookRow(tenantId);
      const soon = deliveryRow(tenantId, hook.id, { next_attempt_at: at(-HOUR) });
      const now = deliveryRow(tenantId, hook.id, { next_attempt_at: at() });
      const later = deliveryRow(tenantId, hook.id, { next_attempt_at: at(HOUR) });
      const done = deliveryRow(tenantId, hook.id, { status: 'delivered', next_attempt_at: null });
      const leased = deliveryRow(tenantId, hook.id, { next_attempt_at: at(-DAY), locked_until: at(1000) });
      await run(tenantId, async (tx) => {
        await tx.webhooks.insert(hook);
        for (const d of [soon, now, later, done, leased]) await tx.deliveries.insert(d);
      });
      const first = await run(tenantId, (tx) => tx.deliveries.claimDue(at(), 10, 30_000));
      expect(first).toEqual([
        { ...soon, locked_until: at(30_000) },
        { ...now, locked_until: at(30_000) },
      ]);
      // Leased: nobody gets them again before the lease ends; the other lease has ended by then.
      expect(await run(tenantId, (tx) => tx.deliveries.claimDue(at(500), 10, 30_000))).toEqual([]);
      expect(ids(await run(tenantId, (tx) => tx.deliveries.claimDue(at(2000), 10, 30_000)))).toEqual([
        leased.id,
      ]);
      expect(ids(await run(tenantId, (tx) => tx.deliveries.claimDue(at(HOUR), 1, 30_000)))).toEqual([
        leased.id,
      ]);
      // failPending gives up every pending delivery of the subscription.
      expect(await run(tenantId, (tx) => tx.deliveries.failPending(hook.id, 'gone', at(HOUR)))).toBe(4);
      await run(tenantId, async (tx) => {
        expect(await tx.deliveries.get(later.id)).toEqual({
          ...later,
          status: 'failed',
          next_attempt_at: null,
          locked_until: null,
          last_error: 'gone',
          updated_at: at(HOUR),
        });
        expect(await tx.deliveries.get(done.id)).toEqual(done);
        expect(await tx.deliveries.claimDue(at(2 * DAY), 10, 1000)).toEqual([]);
      });
    });

    test('deliveries: two concurrent claimDue never return the same delivery', async () => {
      const tenantId = await newTenant();
      const hook = webhookRow(tenantId);
      const rows = Array.from({ length: 30 }, () => deliveryRow(tenantId, hook.id));
      await run(tenantId, async (tx) => {
        await tx.webhooks.insert(hook);
        for (const d of rows) await tx.deliveries.insert(d);
      });
      const claimed = await Promise.all(
        Array.from({ length: 4 }, () => run(tenantId, (tx) => tx.deliveries.claimDue(at(), 12, 60_000))),
      );
      // Each claim takes at most its limit (a rescanned subquery once claimed more on PostgreSQL).
      for (const batch of claimed) expect(batch.length).toBeLessThanOrEqual(12);
      const all = claimed.flat().map((d) => d.id);
      expect(new Set(all).size).toBe(all.length);
      const rest = await run(tenantId, (tx) => tx.deliveries.claimDue(at(), 100, 60_000));
      expect(all.length + rest.length).toBe(rows.length);
      expect(new Set([...all, ...ids(rest)])).toEqual(new Set(ids(rows)));
    });

    test('webhooks: disable once; countDelivery counts failures and resets on success, atomically', async () => {
      const tenantId = await newTenant();
      const hook = webhookRow(tenantId, {
        previous_secret: 'whsec_old',
        previous_secret_expires_at: at(DAY),
      });
      await run(tenantId, (tx) => tx.webhooks.insert(hook));
      expect(await run(tenantId, (tx) => tx.webhooks.get(hook.id))).toEqual(hook);
      const counts = await Promise.all(
        Array.from({ length: 6 }, () => run(tenantId, (tx) => tx.webhooks.countDelivery(hook.id, true))),
      );
      expect([...counts].sort()).toEqual([1, 2, 3, 4, 5, 6]);
      expect(await run(tenantId, (tx) => tx.webhooks.countDelivery(hook.id, false))).toBe(0);
      expect(await run(tenantId, (tx) => tx.webhooks.countDelivery(newId(), true))).toBeNull();
      const disabled = await Promise.all(
        [1, 2, 3].map(() =>
          run(tenantId, (tx) => tx.webhooks.disable(hook.id, 'answered 410 Gone', at(HOUR))),
        ),
      );
      expect(count(disabled, (d) => d)).toBe(1);
      expect(await run(tenantId, (tx) => tx.webhooks.get(hook.id))).toEqual({
        ...hook,
        active: false,
        disabled_reason: 'answered 410 Gone',
        updated_at: at(HOUR),
      });
      const b = await newTenant();
      expect(await run(b, (tx) => tx.webhooks.disable(hook.id, 'x', at()))).toBe(false);
      expect(await run(b, (tx) => tx.webhooks.countDelivery(hook.id, true))).toBeNull();
    });
  });

  describe('scheduled-event queries', () => {
    test('customers: listBirthdays matches month and day of active customers', async () => {
      const tenantId = await newTenant();
      const a = customerRow(tenantId, { birthday: '1990-03-14' });
      const b = customerRow(tenantId, { birthday: '2001-03-14' });
      const blocked = customerRow(tenantId, { birthday: '1985-03-14', status: 'blocked' });
      const other = customerRow(tenantId, { birthday: '1990-03-15' });
      const none = customerRow(tenantId);
      const leap = customerRow(tenantId, { birthday: '2000-02-29' });
      await run(tenantId, async (tx) => {
        for (const c of [a, b, blocked, other, none, leap]) await tx.customers.insert(c);
      });
      await run(tenantId, async (tx) => {
        const pages = await allPages((cursor) => tx.customers.listBirthdays('03-14', { limit: 1, cursor }));
        expect(pages.flat().map((c) => c.id)).toEqual(descending([a.id, b.id]));
        expect(ids((await tx.customers.listBirthdays('02-29', { limit: 10 })).items)).toEqual([leap.id]);
        expect((await tx.customers.listBirthdays('12-25', { limit: 10 })).items).toEqual([]);
      });
      const other2 = await newTenant();
      expect((await run(other2, (tx) => tx.customers.listBirthdays('03-14', { limit: 10 }))).items).toEqual(
        [],
      );
    });

    test('customers: listInactive finds active customers without an event since the instant', async () => {
      const tenantId = await newTenant();
      const stale = customerRow(tenantId, { last_event_at: at(-40 * DAY), enrolled_at: at(-100 * DAY) });
      const fresh = customerRow(tenantId, { last_event_at: at(-DAY), enrolled_at: at(-100 * DAY) });
      const neverOld = customerRow(tenantId, { last_event_at: null, enrolled_at: at(-50 * DAY) });
      const neverNew = customerRow(tenantId, { last_event_at: null, enrolled_at: at(-2 * DAY) });
      const blocked = customerRow(tenantId, { last_event_at: at(-90 * DAY), status: 'blocked' });
      const boundary = customerRow(tenantId, { last_event_at: at(-30 * DAY), enrolled_at: at(-100 * DAY) });
      await run(tenantId, async (tx) => {
        for (const c of [stale, fresh, neverOld, neverNew, blocked, boundary]) await tx.customers.insert(c);
      });
      const pages = await allPages((cursor) =>
        run(tenantId, (tx) => tx.customers.listInactive(at(-30 * DAY), { limit: 1, cursor })),
      );
      expect(pages.flat().map((c) => c.id)).toEqual(descending([stale.id, neverOld.id]));
    });
  });

  describeUssdContracts(getStore, test);
  describeAnalyticsContracts(getStore, test);
  describeRefundContracts(getStore, test);
  describeWhatsAppContracts(getStore, test);
  describeAuditContracts(getStore, test);
  describeReferralContracts(getStore, test);
  describeCodesContracts(getStore, test);
  describeRemindersContracts(getStore, test);
  describeSharedChannelContracts(getStore, test);
  describeTierContracts(getStore, test);
  describeConfigVersionContracts(getStore, test);
}
