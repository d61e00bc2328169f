import { AsyncLocalStorage } from 'node:async_hooks';
import { randomBytes } from 'node:crypto';
import { createRulesEngine } from '@laas/rules';
import { type ApiKey, createApiKeySchema } from '../domain/api-key.js';
import {
  type Budget,
  type BudgetPeriod,
  createBudgetSchema,
  topUpSchema,
  updateBudgetSchema,
} from '../domain/budget.js';
import { type Campaign, createCampaignSchema, updateCampaignSchema } from '../domain/campaign.js';
import { MAX_AMOUNT, type Page, type PageRequest, pageRequestSchema } from '../domain/common.js';
import {
  type Customer,
  createCustomerSchema,
  customerMatchesSearch,
  EMPTY_STATS,
  updateCustomerSchema,
} from '../domain/customer.js';
import type { LoyaltyEvent } from '../domain/event.js';
import { cancelIssuanceSchema, type Issuance, redeemByCodeSchema } from '../domain/issuance.js';
import { createRewardSchema, type Reward, updateRewardSchema, uploadCodesSchema } from '../domain/reward.js';
import { createRuleSchema, type Rule, updateRuleSchema } from '../domain/rule.js';
import {
  auditRetentionDaysOf,
  createTenantSchema,
  DEFAULT_TENANT_SETTINGS,
  enrollmentPageOf,
  reminderDaysOf,
  type Tenant,
  updateTenantSchema,
} from '../domain/tenant.js';
import {
  createWebhookSchema,
  updateWebhookSchema,
  type WebhookDelivery,
  type WebhookSubscription,
} from '../domain/webhook.js';
import {
  type FieldIssue,
  IdempotencyKeyReusedError,
  NotFoundError,
  orNotFound,
  StateConflictError,
  StoreUnavailableError,
  UnprocessableInputError,
  ValidationError,
} from '../errors.js';
import { isUuid, newId as uuidv7 } from '../ids.js';
import { UniqueViolationError } from '../ports/store.js';
import { CLEAR_SECRETS } from '../secret-codec.js';
import { periodKey } from '../time.js';
import { analyticsSummary } from './analytics.js';
import { checkArguments } from './arguments.js';
import { topUpBudget } from './budget-ops.js';
import { generateCodes, validateCode } from './codes.js';
import { CompiledRuleCache } from './compiled-rules.js';
import { ConfigCache } from './config-cache.js';
import { CustomerQueue, customerKey } from './customer-queue.js';
import { parseEventInput } from './event-input.js';
import { type IngestRun, ingestInTransaction } from './ingest.js';
import { applyTransition, expiryOf, issuancePayload, loadReward } from './issuance-ops.js';
import type { Operation } from './operation.js';
import { emit } from './operation.js';
import { parseInput } from './parse-input.js';
import { payloadHash, sha256Hex } from './payload-hash.js';
import { debitPoints } from './points-ops.js';
import { attributeReferral, referralSummary } from './referrals.js';
import { adjustPoints } from './refunds.js';
import { enforceRuleLogic } from './rule-check.js';
import { tierOperations } from './tier-operations.js';
import type {
  CustomerExport,
  Engine,
  EngineObserver,
  EngineOptions,
  ExpireResult,
  IngestResult,
  TransactionRetryReason,
} from './types.js';
import { openWebhookSecrets, sealWebhookSecrets } from './webhook-secrets.js';

/** Transactions aborted by the database (deadlock, busy) are retried this many times in all. */
const MAX_ATTEMPTS = 4;
/** Rows `expireDue` handles per transaction. */
const EXPIRY_BATCH = 200;

class DryRunRollback extends Error {
  constructor(readonly result: IngestResult) {
    super('dry run: rolled back');
  }
}

/** How long a rotated-out webhook secret keeps signing deliveries next to the new one. */
const SECRET_OVERLAP_MS = 24 * 3_600_000;

/** `whsec_` + 32 random bytes in base64 (Standard Webhooks). */
function newWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`;
}

/** A delivery due at once. */
function pendingDelivery(
  op: Operation,
  subscriptionId: string,
  messageId: string,
  type: string,
  payload: string,
): WebhookDelivery {
  return {
    id: op.newId(),
    tenant_id: op.tenant.id,
    subscription_id: subscriptionId,
    outbox_id: messageId,
    event_type: type,
    payload,
    status: 'pending',
    attempts: 0,
    next_attempt_at: op.now,
    locked_until: null,
    last_status: null,
    last_error: null,
    created_at: op.now,
    updated_at: op.now,
  };
}

/** How WhatsApp knows a customer's phone: Meta's wa_id, E.164 digits without the `+`. */
function waId(phone: string): string {
  return phone.replace(/^\+/, '');
}

function requireId(id: string, entity: string): string {
  if (typeof id !== 'string' || !isUuid(id)) throw new NotFoundError(entity, String(id));
  return id;
}

function pageOf(page: Partial<PageRequest> | undefined): PageRequest {
  return parseInput(pageRequestSchema, page ?? {}, 'page');
}

/**
 * Creates the loyalty engine over a store.
 *
 * @example
 * const engine = createEngine({ store: memoryStore() });
 * const shop = await engine.tenants.create({ name: 'Kofi Coffee', timezone: 'Africa/Accra' });
 * const result = await engine.ingest(shop.id, {
 *   idempotency_key: 'pos-1-0001', type: 'visit', customer: { phone: '+233201234567' },
 * });
 */
export function createEngine(options: EngineOptions): Engine {
  const { store } = options;
  const logic = options.rules ?? createRulesEngine();
  const clock = options.clock ?? (() => new Date());
  const newId = options.ids ?? uuidv7;
  const secrets = options.secrets ?? CLEAR_SECRETS;
  const sealed = (sub: WebhookSubscription) => sealWebhookSecrets(secrets, sub);
  const opened = (sub: WebhookSubscription) => openWebhookSecrets(secrets, sub);
  const compiled = new CompiledRuleCache(logic);
  const configs = new ConfigCache();
  const customerQueue = new CustomerQueue(options.customerQueueWaitMs ?? 10_000);

  /**
   * The operation whose transaction engine calls made inside `engine.idempotent` or
   * `engine.transaction` join.
   */
  const ambient = new AsyncLocalStorage<Operation>();

  const observers = new Set<EngineObserver>();
  const retried = (reason: TransactionRetryReason): void => {
    for (const observer of observers) {
      try {
        observer.transactionRetried?.(reason);
      } catch {
        // An observer's failure is not the operation's.
      }
    }
  };

  /**
   * One engine operation: one transaction of the tenant, retried when the database aborted it.
   * Inside `engine.idempotent(...)` it joins that call's transaction instead.
   */
  async function inTenant<T>(
    tenantId: string,
    fn: (op: Operation) => Promise<T>,
    readOnly = false,
    /** Ingest only: start on the tenant's cached configuration, which its opening read checks. */
    assume = false,
  ): Promise<T> {
    requireId(tenantId, 'tenant');
    const joined = ambient.getStore();
    if (joined !== undefined) {
      if (joined.tenant.id !== tenantId) throw new Error('a joined transaction cannot span two tenants');
      return fn(joined);
    }
    for (let attempt = 1; ; attempt++) {
      try {
        return await store.transaction(
          tenantId,
          async (tx) => {
            const now = clock().toISOString();
            // Looked up per attempt: a failed attempt may have made the cache forget the tenant.
            const assumed = assume ? configs.peek(tenantId) : undefined;
            if (assumed !== undefined) {
              const { tenant, version: configVersion } = assumed;
              return fn({ tx, tenant, configVersion, config: assumed, assumed: true, now, newId });
            }
            const { tenant, configVersion } = orNotFound(await tx.tenants.getVersioned(), 'tenant', tenantId);
            return fn({ tx, tenant, configVersion, now, newId });
          },
          { readOnly },
        );
      } catch (error) {
        // A store that failed may have shown this process work that then rolled back (SQLite's
        // group commit runs a group's transactions in one database transaction): configuration
        // cached under a version that never committed must not outlive it.
        if (error instanceof StoreUnavailableError) configs.forget(tenantId);
        if (error instanceof StoreUnavailableError && error.safeToRetry && attempt < MAX_ATTEMPTS) {
          retried('store_unavailable');
          // Nothing of it committed: a fresh connection after a short, growing pause usually
          // succeeds (a deadlock's other side finished, the pool replaced a dropped connection).
          await new Promise((resume) => setTimeout(resume, 20 * attempt * (1 + Math.random())));
          continue;
        }
        throw error;
      }
    }
  }

  async function ingest(tenantId: string, raw: unknown, dryRun: boolean): Promise<IngestResult> {
    if (dryRun && ambient.getStore() !== undefined)
      throw new Error('a dry run cannot join another operation');
    const input = parseEventInput(raw, dryRun, newId);
    const joined = ambient.getStore() !== undefined;
    // A joined transaction may have changed the configuration before this ingest: what it reads
    // is kept to itself, not shared under the version its transaction began with.
    const run = { input, payloadHash: payloadHash(input), dryRun, compiled, configs, shareConfig: !joined };
    if (joined) return ingestOnce(tenantId, run);
    return customerQueue.run(customerKey(tenantId, input.customer), () => ingestOnce(tenantId, run));
  }

  async function ingestOnce(tenantId: string, run: IngestRun): Promise<IngestResult> {
    const { dryRun } = run;
    for (let attempt = 1; ; attempt++) {
      try {
        return await inTenant(
          tenantId,
          async (op) => {
            const result = await ingestInTransaction(op, run);
            if (dryRun && !result.replayed) throw new DryRunRollback(result);
            return result;
          },
          false,
          true,
        );
      } catch (error) {
        if (error instanceof DryRunRollback) return error.result;
        // A concurrent ingest took the same idempotency key or enrolled the same customer first:
        // run again, now finding what it stored.
        const raced =
          error instanceof UniqueViolationError &&
          ['idempotency_key', 'phone', 'external_ref'].includes(error.field) &&
          attempt < MAX_ATTEMPTS;
        if (raced) {
          retried('concurrent_insert');
          continue;
        }
        throw error;
      }
    }
  }

  /**
   * A new `limit` applies to the periods that exist too (the current month, not only the next):
   * each keeps its top-ups and moves by the change. Checked after the write, under the period
   * row's lock, so that no concurrent reservation slips between: lowering a hard-capped budget
   * below what a period has committed is refused, and nothing changes.
   */
  async function shiftPeriodLimits(op: Operation, budget: Budget, delta: number): Promise<void> {
    for (const period of await op.tx.budgets.listPeriods(budget.id)) {
      const after = await op.tx.budgets.topUp(budget.id, period.period, budget.limit, delta);
      const committed = after.reserved + after.utilized + after.spent;
      if (after.limit < 0 || (budget.hard_cap && committed > after.limit)) {
        throw new StateConflictError(
          `Period ${period.period} of budget "${budget.name}" has ${committed} committed, more than the new limit allows (${after.limit}); cancel rewards first or choose a higher limit`,
          {
            field: 'limit',
            period: period.period,
            committed,
            issues: [{ path: 'limit', message: 'below what is committed' }],
          },
        );
      }
      if (after.limit > MAX_AMOUNT) {
        throw new UnprocessableInputError(
          `Period ${period.period} would have a limit past the maximum of ${MAX_AMOUNT}`,
          [{ path: 'limit', message: `takes a period's limit past ${MAX_AMOUNT}`, code: 'too_big' }],
        );
      }
    }
  }

  async function loadIssuance(op: Operation, id: string): Promise<Issuance> {
    return orNotFound(await op.tx.issuances.get(requireId(id, 'issuance')), 'issuance', id);
  }

  async function validateRefs(op: Operation, rule: Pick<Rule, 'reward_id' | 'budget_id' | 'campaign_id'>) {
    const issues: FieldIssue[] = [];
    if ((await op.tx.rewards.get(rule.reward_id)) === null)
      issues.push({ path: 'reward_id', message: 'no reward has this id' });
    if (rule.budget_id !== null && (await op.tx.budgets.get(rule.budget_id)) === null) {
      issues.push({ path: 'budget_id', message: 'no budget has this id' });
    }
    if (rule.campaign_id !== null && (await op.tx.campaigns.get(rule.campaign_id)) === null) {
      issues.push({ path: 'campaign_id', message: 'no campaign has this id' });
    }
    if (issues.length > 0)
      throw new ValidationError(`Invalid rule: ${issues[0]?.path}: ${issues[0]?.message}`, issues);
  }

  async function collect<T>(fetch: (page: PageRequest) => Promise<Page<T>>): Promise<T[]> {
    const all: T[] = [];
    let cursor: string | undefined;
    do {
      const page = await fetch({ limit: 200, cursor });
      all.push(...page.items);
      cursor = page.next_cursor ?? undefined;
    } while (cursor !== undefined);
    return all;
  }

  const engine: Engine = {
    store,
    secrets,
    logic,
    observe(observer) {
      observers.add(observer);
      return () => {
        observers.delete(observer);
      };
    },

    ingest: (tenantId, input, opts) => ingest(tenantId, input, opts?.dryRun ?? false),
    dryRun: (tenantId, input) => ingest(tenantId, input, true),

    async idempotent(tenantId, request, fn) {
      for (let attempt = 1; ; attempt++) {
        try {
          return await inTenant(tenantId, (op) =>
            ambient.run(op, async () => {
              const seen = await op.tx.idempotency.get(request.key);
              if (seen !== null) {
                if (seen.fingerprint !== request.fingerprint)
                  throw new IdempotencyKeyReusedError(request.key);
                return { status: seen.status, body: seen.body, replayed: true };
              }
              const response = await fn();
              await op.tx.idempotency.put({
                tenant_id: op.tenant.id,
                key: request.key,
                fingerprint: request.fingerprint,
                status: response.status,
                body: response.body,
                created_at: op.now,
              });
              return { ...response, replayed: false };
            }),
          );
        } catch (error) {
          // A concurrent request with the same key stored its response first: replay it.
          if (error instanceof UniqueViolationError && error.field === 'key' && attempt < MAX_ATTEMPTS) {
            retried('concurrent_insert');
            continue;
          }
          throw error;
        }
      }
    },

    transaction: (tenantId, fn) => inTenant(tenantId, (op) => ambient.run(op, () => fn(op.tx))),

    purgeIdempotencyKeys: (tenantId, before) =>
      inTenant(tenantId, async (op) => op.tx.idempotency.purge(before.toISOString())),

    redeem: (tenantId, target) =>
      inTenant(tenantId, async (op) => {
        let issuance: Issuance;
        if ('code' in target) {
          const { code } = parseInput(redeemByCodeSchema, target, 'redemption');
          issuance = orNotFound(await op.tx.issuances.getByCode(code), 'reward code', code);
        } else {
          issuance = await loadIssuance(op, target.issuance_id);
        }
        if (issuance.state === 'issued' && issuance.expires_at !== null && issuance.expires_at <= op.now) {
          throw new StateConflictError(
            `This reward expired at ${issuance.expires_at} and cannot be redeemed`,
            {
              state: 'expired',
              issuance_id: issuance.id,
            },
          );
        }
        const reward = await loadReward(op, issuance.reward_id);
        if (reward.type === 'points') {
          throw new StateConflictError('Points are not redeemed one by one: spend them with redeemPoints', {
            state: issuance.state,
            issuance_id: issuance.id,
          });
        }
        return applyTransition(op, issuance, 'redeem');
      }),

    cancel: (tenantId, issuanceId, reason) =>
      inTenant(tenantId, async (op) => {
        const input = parseInput(
          cancelIssuanceSchema,
          reason === undefined ? {} : { reason },
          'cancellation',
        );
        return applyTransition(op, await loadIssuance(op, issuanceId), 'cancel', { reason: input.reason });
      }),

    issueReserved: (tenantId, issuanceId) =>
      inTenant(tenantId, async (op) => applyTransition(op, await loadIssuance(op, issuanceId), 'issue')),

    redeemPoints: (tenantId, customerId, input) =>
      inTenant(tenantId, async (op) => {
        requireId(customerId, 'customer');
        const rewardId = requireId(input.reward_id, 'reward');
        const customer = orNotFound(await op.tx.customers.lock(customerId), 'customer', customerId);
        if (customer.status !== 'active') {
          throw new StateConflictError(`This customer is ${customer.status}`, { state: customer.status });
        }
        const reward = await loadReward(op, rewardId);
        if (!reward.active || reward.points_price === null || reward.type === 'points') {
          throw new StateConflictError(`"${reward.name}" cannot be bought with points`, {
            reward_id: reward.id,
          });
        }
        const issuanceId = op.newId();
        const code = reward.type === 'voucher' ? await op.tx.codes.draw(reward.id, issuanceId) : null;
        if (reward.type === 'voucher' && code === null) {
          throw new StateConflictError(`No unused codes are left for "${reward.name}"`, {
            reward_id: reward.id,
          });
        }
        await debitPoints(op, customer.id, reward.points_price, 'redeem', issuanceId);
        const immediate = reward.issue_mode === 'immediate';
        const issuance: Issuance = {
          id: issuanceId,
          tenant_id: op.tenant.id,
          customer_id: customer.id,
          reward_id: reward.id,
          rule_id: null,
          event_id: null,
          state: immediate ? 'issued' : 'reserved',
          quantity: 1,
          value: reward.value,
          cost: 0,
          code,
          budget_id: null,
          budget_period: null,
          earned_at: op.now,
          created_at: op.now,
          issued_at: immediate ? op.now : null,
          expires_at: null,
          reserve_deadline: null,
          redeemed_at: null,
          cancelled_at: null,
          cancel_reason: null,
        };
        if (immediate) issuance.expires_at = expiryOf(reward, op.now);
        await op.tx.issuances.insert(issuance);
        await emit(op, immediate ? 'reward.issued' : 'reward.reserved', issuancePayload(issuance));
        return issuance;
      }),

    async expireDue(tenantId, now) {
      const result: ExpireResult = { expired: 0, cancelled: 0, points_expired: 0 };
      const at = (now ?? clock()).toISOString();
      // Issuances, a batch per transaction, until none is due.
      for (;;) {
        const handled = await inTenant(tenantId, async (op) => {
          const due = await op.tx.issuances.listDue(at, EXPIRY_BATCH);
          for (const issuance of due) {
            if (issuance.state === 'issued') {
              await applyTransition(op, issuance, 'expire');
              result.expired++;
            } else {
              await applyTransition(op, issuance, 'cancel', { reason: 'reservation deadline passed' });
              result.cancelled++;
            }
          }
          return due.length;
        });
        if (handled < EXPIRY_BATCH) break;
      }
      for (;;) {
        const handled = await inTenant(tenantId, async (op) => {
          const lots = await op.tx.points.listDueLots(at, EXPIRY_BATCH);
          for (const lot of lots) {
            // Lock the customer before the lot, in the same order as spending points does.
            await op.tx.customers.lock(lot.customer_id);
            const amount = await op.tx.points.expireLot(lot.id);
            if (amount === 0) continue;
            const balance = await op.tx.customers.adjustPointsBalance(lot.customer_id, -amount);
            if (balance === null)
              throw new Error(`points balance of ${lot.customer_id} does not cover its lots`);
            await op.tx.points.appendLedger({
              id: op.newId(),
              tenant_id: op.tenant.id,
              customer_id: lot.customer_id,
              kind: 'expire',
              amount: -amount,
              lot_id: lot.id,
              issuance_id: null,
              at: op.now,
              reason: null,
              actor: null,
            });
            await emit(op, 'points.expired', {
              customer_id: lot.customer_id,
              lot_id: lot.id,
              points: amount,
              balance,
            });
            result.points_expired += amount;
          }
          return lots.length;
        });
        if (handled < EXPIRY_BATCH) break;
      }
      return result;
    },

    topUp: (tenantId, budgetId, raw) =>
      inTenant(tenantId, async (op): Promise<BudgetPeriod> => {
        const input = parseInput(topUpSchema, raw, 'top-up');
        const budget = orNotFound(await op.tx.budgets.get(requireId(budgetId, 'budget')), 'budget', budgetId);
        const period = input.period ?? periodKey(op.now, budget.period, op.tenant.timezone);
        return topUpBudget(op, budget, period, input.amount);
      }),

    tenants: {
      async create(raw) {
        const input = parseInput(createTenantSchema, raw, 'tenant');
        const now = clock().toISOString();
        const tenant: Tenant = {
          id: input.id ?? newId(),
          name: input.name,
          timezone: input.timezone,
          settings: { ...DEFAULT_TENANT_SETTINGS, ...input.settings },
          created_at: now,
        };
        await store.transaction(tenant.id, (tx) => tx.tenants.insert(tenant));
        return tenant;
      },
      // A tenant stored before `enrollment_page` existed reads with it false.
      get: (tenantId) =>
        inTenant(
          tenantId,
          async (op) => ({
            ...op.tenant,
            settings: {
              // Settings added since the tenant was stored read as their defaults.
              ...DEFAULT_TENANT_SETTINGS,
              ...op.tenant.settings,
              enrollment_page: enrollmentPageOf(op.tenant.settings),
              audit_retention_days: auditRetentionDaysOf(op.tenant.settings),
              reminder_days: reminderDaysOf(op.tenant.settings),
            },
          }),
          true,
        ),
      update: (tenantId, raw) =>
        inTenant(tenantId, async (op) => {
          const input = parseInput(updateTenantSchema, raw, 'tenant');
          const tenant: Tenant = {
            ...op.tenant,
            ...(input.name === undefined ? {} : { name: input.name }),
            ...(input.timezone === undefined ? {} : { timezone: input.timezone }),
            settings: {
              ...DEFAULT_TENANT_SETTINGS,
              ...op.tenant.settings,
              enrollment_page: enrollmentPageOf(op.tenant.settings),
              audit_retention_days: auditRetentionDaysOf(op.tenant.settings),
              reminder_days: reminderDaysOf(op.tenant.settings),
              ...input.settings,
            },
          };
          await op.tx.tenants.update(tenant);
          return tenant;
        }),
    },

    customers: {
      create: (tenantId, raw) =>
        inTenant(tenantId, async (op) => {
          const input = parseInput(createCustomerSchema, raw, 'customer');
          const customer: Customer = {
            id: input.id ?? op.newId(),
            tenant_id: op.tenant.id,
            phone: input.phone ?? null,
            external_ref: input.external_ref ?? null,
            name: input.name ?? null,
            birthday: input.birthday ?? null,
            attributes: input.attributes,
            tags: input.tags,
            status: 'active',
            enrolled_at: op.now,
            last_event_at: null,
            stats: { ...EMPTY_STATS, counts: {} },
          };
          await op.tx.customers.insert(customer);
          await emit(op, 'customer.enrolled', { customer });
          if (input.referral_code !== undefined)
            await attributeReferral(op, customer, input.referral_code, 'referral_code', true);
          return customer;
        }),
      get: (tenantId, id) =>
        inTenant(
          tenantId,
          async (op) => orNotFound(await op.tx.customers.get(requireId(id, 'customer')), 'customer', id),
          true,
        ),
      update: (tenantId, id, raw) =>
        inTenant(tenantId, async (op) => {
          const input = parseInput(updateCustomerSchema, raw, 'customer');
          const current = orNotFound(await op.tx.customers.lock(requireId(id, 'customer')), 'customer', id);
          if (current.status === 'erased')
            throw new StateConflictError('This customer was erased', { state: 'erased' });
          const next: Customer = { ...current, ...input } as Customer;
          await op.tx.customers.updateProfile(next);
          return next;
        }),
      setStatus: (tenantId, id, status) =>
        inTenant(tenantId, async (op) => {
          const current = orNotFound(await op.tx.customers.lock(requireId(id, 'customer')), 'customer', id);
          if (current.status === 'erased')
            throw new StateConflictError('This customer was erased', { state: 'erased' });
          if (status !== 'active' && status !== 'blocked') {
            throw new ValidationError('Invalid status', [
              { path: 'status', message: 'must be "active" or "blocked"' },
            ]);
          }
          const next: Customer = { ...current, status };
          await op.tx.customers.updateProfile(next);
          return next;
        }),
      erase: (tenantId, id) =>
        inTenant(tenantId, async (op) => {
          const current = orNotFound(await op.tx.customers.lock(requireId(id, 'customer')), 'customer', id);
          const erased: Customer = {
            ...current,
            phone: null,
            external_ref: null,
            name: null,
            birthday: null,
            attributes: {},
            tags: [],
            status: 'erased',
          };
          await op.tx.customers.updateProfile(erased);
          if (current.phone !== null) await op.tx.whatsapp.forgetPhone(waId(current.phone));
          await emit(op, 'customer.erased', { customer_id: erased.id });
          return erased;
        }),
      export: (tenantId, id) =>
        inTenant(
          tenantId,
          async (op): Promise<CustomerExport> => {
            const customer = orNotFound(await op.tx.customers.get(requireId(id, 'customer')), 'customer', id);
            const phone = customer.phone === null ? null : waId(customer.phone);
            return {
              customer,
              events: await collect((p) => op.tx.events.list({ customer_id: id }, p)),
              issuances: await collect((p) => op.tx.issuances.list({ customer_id: id }, p)),
              points_lots: await op.tx.points.listLots(id),
              points_ledger: await collect((p) => op.tx.points.listLedger(id, p)),
              whatsapp: {
                conversation: phone === null ? null : await op.tx.whatsapp.getConversation(phone),
                messages:
                  phone === null ? [] : await collect((p) => op.tx.whatsapp.listMessages({ ...p, phone })),
              },
            };
          },
          true,
        ),
      list: (tenantId, filter, page) =>
        inTenant(
          tenantId,
          async (op) => {
            const { phone, external_ref, ...rest } = filter ?? {};
            if (phone === undefined && external_ref === undefined)
              return op.tx.customers.list(rest, pageOf(page));
            // An exact lookup (the counter's "find by phone"): at most one customer, never a list
            // of everyone when the value matches nobody.
            const byPhone = phone === undefined ? null : await op.tx.customers.findByPhone(phone);
            const byRef =
              external_ref === undefined ? null : await op.tx.customers.findByExternalRef(external_ref);
            const found =
              phone !== undefined && external_ref !== undefined
                ? byPhone?.id === byRef?.id
                  ? byPhone
                  : null
                : (byPhone ?? byRef);
            const fits =
              found !== null &&
              (rest.status === undefined || found.status === rest.status) &&
              (rest.tag === undefined || found.tags.includes(rest.tag)) &&
              (rest.q === undefined || customerMatchesSearch(found, rest.q));
            return { items: fits && found !== null ? [found] : [], next_cursor: null };
          },
          true,
        ),
    },

    events: {
      get: (tenantId, id) =>
        inTenant(
          tenantId,
          async (op): Promise<LoyaltyEvent> =>
            orNotFound(await op.tx.events.get(requireId(id, 'event')), 'event', id),
          true,
        ),
      list: (tenantId, filter, page) =>
        inTenant(tenantId, async (op) => op.tx.events.list(filter ?? {}, pageOf(page)), true),
    },

    rules: {
      create: (tenantId, raw, options) =>
        inTenant(tenantId, async (op) => {
          const input = parseInput(createRuleSchema, raw, 'rule');
          const warnings = enforceRuleLogic(logic, input, options?.strict === true);
          await validateRefs(op, input);
          const rule: Rule = {
            ...input,
            id: input.id ?? op.newId(),
            tenant_id: op.tenant.id,
            version: 1,
            created_at: op.now,
            updated_at: op.now,
          };
          await op.tx.rules.insert(rule);
          return { ...rule, warnings };
        }),
      get: (tenantId, id) =>
        inTenant(
          tenantId,
          async (op) => orNotFound(await op.tx.rules.get(requireId(id, 'rule')), 'rule', id),
          true,
        ),
      update: (tenantId, id, raw, options) =>
        inTenant(tenantId, async (op) => {
          const { version, ...input } = parseInput(updateRuleSchema, raw, 'rule');
          const current = orNotFound(await op.tx.rules.get(requireId(id, 'rule')), 'rule', id);
          if (version !== undefined && version !== current.version) {
            throw new StateConflictError(
              `The rule is at version ${current.version}, not ${version}; reload it and retry`,
              {
                version: current.version,
              },
            );
          }
          const next: Rule = {
            ...current,
            ...input,
            version: current.version + 1,
            updated_at: op.now,
          } as Rule;
          if (next.valid_from !== null && next.valid_until !== null && next.valid_from >= next.valid_until) {
            throw new ValidationError('Invalid rule: valid_until must be after valid_from', [
              { path: 'valid_until', message: 'must be after valid_from' },
            ]);
          }
          const warnings = enforceRuleLogic(logic, next, options?.strict === true);
          await validateRefs(op, next);
          if (!(await op.tx.rules.update(next, current.version))) {
            throw new StateConflictError('The rule changed while this request ran; reload it and retry');
          }
          return { ...next, warnings };
        }),
      delete: (tenantId, id) =>
        inTenant(tenantId, async (op) => {
          if (!(await op.tx.rules.delete(requireId(id, 'rule')))) throw new NotFoundError('rule', id);
        }),
      list: (tenantId, page) => inTenant(tenantId, async (op) => op.tx.rules.list(pageOf(page)), true),
    },

    rewards: {
      create: (tenantId, raw) =>
        inTenant(tenantId, async (op) => {
          const input = parseInput(createRewardSchema, raw, 'reward');
          const reward: Reward = {
            ...input,
            id: input.id ?? op.newId(),
            tenant_id: op.tenant.id,
            created_at: op.now,
            updated_at: op.now,
          };
          await op.tx.rewards.insert(reward);
          return reward;
        }),
      get: (tenantId, id) => inTenant(tenantId, async (op) => loadReward(op, requireId(id, 'reward')), true),
      update: (tenantId, id, raw) =>
        inTenant(tenantId, async (op) => {
          const input = parseInput(updateRewardSchema, raw, 'reward');
          const current = await loadReward(op, requireId(id, 'reward'));
          const next: Reward = { ...current, ...input, updated_at: op.now } as Reward;
          if (next.type === 'discount_percent' && next.value > 100) {
            throw new ValidationError('Invalid reward: a percentage discount is at most 100', [
              { path: 'value', message: 'a percentage discount is at most 100' },
            ]);
          }
          await op.tx.rewards.update(next);
          return next;
        }),
      list: (tenantId, page) => inTenant(tenantId, async (op) => op.tx.rewards.list(pageOf(page)), true),
      uploadCodes: (tenantId, rewardId, raw) =>
        inTenant(tenantId, async (op) => {
          const input = parseInput(uploadCodesSchema, raw, 'code upload');
          const reward = await loadReward(op, requireId(rewardId, 'reward'));
          if (reward.type !== 'voucher') {
            throw new ValidationError(
              `"${reward.name}" is not a voucher reward; codes belong to voucher rewards`,
              [{ path: 'reward_id', message: 'not a voucher reward' }],
            );
          }
          return op.tx.codes.add(reward.id, input.codes, op.now);
        }),
      codeCounts: (tenantId, rewardId) =>
        inTenant(
          tenantId,
          async (op) => op.tx.codes.counts((await loadReward(op, requireId(rewardId, 'reward'))).id),
          true,
        ),
      generateCodes: (tenantId, rewardId, raw) =>
        inTenant(tenantId, (op) => generateCodes(op, requireId(rewardId, 'reward'), raw)),
    },

    issuances: {
      get: (tenantId, id) => inTenant(tenantId, async (op) => loadIssuance(op, id), true),
      list: (tenantId, filter, page) =>
        inTenant(tenantId, async (op) => op.tx.issuances.list(filter ?? {}, pageOf(page)), true),
      validateCode: (tenantId, code) => inTenant(tenantId, (op) => validateCode(op, { code }), true),
    },

    budgets: {
      create: (tenantId, raw) =>
        inTenant(tenantId, async (op) => {
          const input = parseInput(createBudgetSchema, raw, 'budget');
          const budget: Budget = {
            ...input,
            id: input.id ?? op.newId(),
            tenant_id: op.tenant.id,
            created_at: op.now,
            updated_at: op.now,
          };
          await op.tx.budgets.insert(budget);
          return budget;
        }),
      get: (tenantId, id) =>
        inTenant(
          tenantId,
          async (op) => orNotFound(await op.tx.budgets.get(requireId(id, 'budget')), 'budget', id),
          true,
        ),
      update: (tenantId, id, raw) =>
        inTenant(tenantId, async (op) => {
          const input = parseInput(updateBudgetSchema, raw, 'budget');
          const current = orNotFound(await op.tx.budgets.get(requireId(id, 'budget')), 'budget', id);
          const next: Budget = { ...current, ...input, updated_at: op.now } as Budget;
          await op.tx.budgets.update(next);
          if (next.limit !== current.limit) await shiftPeriodLimits(op, next, next.limit - current.limit);
          return next;
        }),
      list: (tenantId, page) => inTenant(tenantId, async (op) => op.tx.budgets.list(pageOf(page)), true),
      periods: (tenantId, id) =>
        inTenant(
          tenantId,
          async (op) => {
            orNotFound(await op.tx.budgets.get(requireId(id, 'budget')), 'budget', id);
            return op.tx.budgets.listPeriods(id);
          },
          true,
        ),
      ledger: (tenantId, id, period, page) =>
        inTenant(
          tenantId,
          async (op) => {
            orNotFound(await op.tx.budgets.get(requireId(id, 'budget')), 'budget', id);
            return op.tx.budgets.listLedger(id, period ?? null, pageOf(page));
          },
          true,
        ),
    },

    campaigns: {
      create: (tenantId, raw) =>
        inTenant(tenantId, async (op) => {
          const input = parseInput(createCampaignSchema, raw, 'campaign');
          if (input.budget_id !== null && (await op.tx.budgets.get(input.budget_id)) === null) {
            throw new ValidationError('Invalid campaign: budget_id: no budget has this id', [
              { path: 'budget_id', message: 'no budget has this id' },
            ]);
          }
          const campaign: Campaign = {
            ...input,
            id: input.id ?? op.newId(),
            tenant_id: op.tenant.id,
            created_at: op.now,
            updated_at: op.now,
          };
          await op.tx.campaigns.insert(campaign);
          return campaign;
        }),
      get: (tenantId, id) =>
        inTenant(
          tenantId,
          async (op) => orNotFound(await op.tx.campaigns.get(requireId(id, 'campaign')), 'campaign', id),
          true,
        ),
      update: (tenantId, id, raw) =>
        inTenant(tenantId, async (op) => {
          const input = parseInput(updateCampaignSchema, raw, 'campaign');
          const current = orNotFound(await op.tx.campaigns.get(requireId(id, 'campaign')), 'campaign', id);
          const next: Campaign = { ...current, ...input, updated_at: op.now } as Campaign;
          if (next.starts_at !== null && next.ends_at !== null && next.starts_at >= next.ends_at) {
            throw new ValidationError('Invalid campaign: ends_at must be after starts_at', [
              { path: 'ends_at', message: 'must be after starts_at' },
            ]);
          }
          await op.tx.campaigns.update(next);
          return next;
        }),
      setStatus: (tenantId, id, status) =>
        inTenant(tenantId, async (op) => {
          const current = orNotFound(await op.tx.campaigns.get(requireId(id, 'campaign')), 'campaign', id);
          if (current.status === 'ended') {
            throw new StateConflictError(`Campaign "${current.name}" has ended and cannot be ${status}`, {
              state: 'ended',
            });
          }
          const next: Campaign = { ...current, status, updated_at: op.now };
          await op.tx.campaigns.update(next);
          return next;
        }),
      list: (tenantId, page) => inTenant(tenantId, async (op) => op.tx.campaigns.list(pageOf(page)), true),
    },

    points: {
      balance: (tenantId, customerId) =>
        inTenant(
          tenantId,
          async (op) => {
            const customer = orNotFound(
              await op.tx.customers.get(requireId(customerId, 'customer')),
              'customer',
              customerId,
            );
            const lots = (await op.tx.points.listLots(customer.id)).filter((lot) => lot.remaining > 0);
            return { balance: customer.stats.points_balance, lots };
          },
          true,
        ),
      history: (tenantId, customerId, page) =>
        inTenant(
          tenantId,
          async (op) => {
            orNotFound(await op.tx.customers.get(requireId(customerId, 'customer')), 'customer', customerId);
            return op.tx.points.listLedger(customerId, pageOf(page));
          },
          true,
        ),
      adjust: (tenantId, customerId, input, actor) =>
        inTenant(tenantId, (op) => adjustPoints(op, customerId, input, actor ?? null)),
    },

    refunds: {
      list: (tenantId, filter, page) =>
        inTenant(tenantId, async (op) => op.tx.refunds.list(filter ?? {}, pageOf(page)), true),
    },

    webhooks: {
      create: (tenantId, raw) =>
        inTenant(tenantId, async (op) => {
          const input = parseInput(createWebhookSchema, raw, 'webhook subscription');
          const subscription: WebhookSubscription = {
            ...input,
            id: input.id ?? op.newId(),
            tenant_id: op.tenant.id,
            secret: newWebhookSecret(),
            previous_secret: null,
            previous_secret_expires_at: null,
            disabled_reason: null,
            failure_count: 0,
            created_at: op.now,
            updated_at: op.now,
          };
          await op.tx.webhooks.insert(sealed(subscription));
          return subscription;
        }),
      get: (tenantId, id) =>
        inTenant(
          tenantId,
          async (op) => opened(orNotFound(await op.tx.webhooks.get(requireId(id, 'webhook')), 'webhook', id)),
          true,
        ),
      update: (tenantId, id, raw) =>
        inTenant(tenantId, async (op) => {
          const input = parseInput(updateWebhookSchema, raw, 'webhook subscription');
          const current = orNotFound(await op.tx.webhooks.get(requireId(id, 'webhook')), 'webhook', id);
          const next: WebhookSubscription = {
            ...current,
            ...input,
            ...(input.active === true ? { disabled_reason: null, failure_count: 0 } : {}),
            updated_at: op.now,
          } as WebhookSubscription;
          // `current` was read sealed: it is written back as it was.
          await op.tx.webhooks.update(next);
          return opened(next);
        }),
      delete: (tenantId, id) =>
        inTenant(tenantId, async (op) => {
          if (!(await op.tx.webhooks.delete(requireId(id, 'webhook'))))
            throw new NotFoundError('webhook', id);
        }),
      list: (tenantId, page) =>
        inTenant(
          tenantId,
          async (op) => {
            const found = await op.tx.webhooks.list(pageOf(page));
            return { items: found.items.map(opened), next_cursor: found.next_cursor };
          },
          true,
        ),
      rotateSecret: (tenantId, id) =>
        inTenant(tenantId, async (op) => {
          const current = opened(
            orNotFound(await op.tx.webhooks.get(requireId(id, 'webhook')), 'webhook', id),
          );
          const next: WebhookSubscription = {
            ...current,
            secret: newWebhookSecret(),
            previous_secret: current.secret,
            previous_secret_expires_at: new Date(Date.parse(op.now) + SECRET_OVERLAP_MS).toISOString(),
            updated_at: op.now,
          };
          await op.tx.webhooks.update(sealed(next));
          return next;
        }),
      deliveries: (tenantId, id, page) =>
        inTenant(
          tenantId,
          async (op) => {
            orNotFound(await op.tx.webhooks.get(requireId(id, 'webhook')), 'webhook', id);
            const found = await op.tx.deliveries.listForSubscription(id, pageOf(page));
            const attempts = await op.tx.deliveries.listAttempts(found.items.map((d) => d.id));
            return {
              items: found.items.map((d) => ({
                ...d,
                attempt_log: attempts.filter((a) => a.delivery_id === d.id),
              })),
              next_cursor: found.next_cursor,
            };
          },
          true,
        ),
      replay: (tenantId, id, deliveryId) =>
        inTenant(tenantId, async (op) => {
          orNotFound(await op.tx.webhooks.get(requireId(id, 'webhook')), 'webhook', id);
          const original = await op.tx.deliveries.get(requireId(deliveryId, 'delivery'));
          if (original === null || original.subscription_id !== id)
            throw new NotFoundError('delivery', deliveryId);
          const delivery = pendingDelivery(op, id, original.outbox_id, original.event_type, original.payload);
          await op.tx.deliveries.insert(delivery);
          return delivery;
        }),
      test: (tenantId, id) =>
        inTenant(tenantId, async (op) => {
          orNotFound(await op.tx.webhooks.get(requireId(id, 'webhook')), 'webhook', id);
          const messageId = op.newId();
          const payload = JSON.stringify({
            type: 'webhook.test',
            tenant_id: op.tenant.id,
            data: { webhook_id: id, message: 'A test delivery from LaaS' },
            timestamp: op.now,
          });
          const delivery = pendingDelivery(op, id, messageId, 'webhook.test', payload);
          await op.tx.deliveries.insert(delivery);
          return delivery;
        }),
    },

    apiKeys: {
      create: (tenantId, raw) =>
        inTenant(tenantId, async (op) => {
          const input = parseInput(createApiKeySchema, raw, 'API key');
          const key = `laas_${randomBytes(24).toString('base64url')}`;
          const apiKey: ApiKey = {
            id: op.newId(),
            tenant_id: op.tenant.id,
            name: input.name,
            role: input.role,
            key_hash: sha256Hex(key),
            prefix: key.slice(0, 12),
            created_at: op.now,
            revoked_at: null,
          };
          await op.tx.apiKeys.insert(apiKey);
          return { api_key: apiKey, key };
        }),
      list: (tenantId, page) => inTenant(tenantId, async (op) => op.tx.apiKeys.list(pageOf(page)), true),
      revoke: (tenantId, id) =>
        inTenant(tenantId, async (op) => {
          if (!(await op.tx.apiKeys.revoke(requireId(id, 'API key'), op.now)))
            throw new NotFoundError('API key', id);
        }),
    },

    analytics: {
      summary: (tenantId, range) => inTenant(tenantId, async (op) => analyticsSummary(op, range), true),
    },

    tiers: tierOperations(inTenant, clock),

    outbox: {
      list: (tenantId, page) => inTenant(tenantId, async (op) => op.tx.outbox.list(pageOf(page)), true),
    },

    referrals: {
      get: (tenantId, customerId) =>
        inTenant(tenantId, (op) => referralSummary(op, requireId(customerId, 'customer'))),
    },
  };
  return checkArguments(engine);
}
