import type { ApiKey, IdempotencyRecord } from '../domain/api-key.js';
import type { Budget, BudgetLedgerEntry, BudgetPeriod } from '../domain/budget.js';
import type { Campaign } from '../domain/campaign.js';
import type { Page, PageRequest } from '../domain/common.js';
import {
  type Customer,
  type CustomerRef,
  customerMatchesSearch,
  withEventCounted,
} from '../domain/customer.js';
import type { EventOutcome, LoyaltyEvent } from '../domain/event.js';
import type { Issuance } from '../domain/issuance.js';
import type { IssuanceState } from '../domain/issuance-state.js';
import type { OutboxEvent } from '../domain/outbox.js';
import type { PointsLedgerEntry, PointsLot } from '../domain/points.js';
import type { Reward } from '../domain/reward.js';
import type { Rule } from '../domain/rule.js';
import type { Tenant } from '../domain/tenant.js';
import type { WebhookAttempt, WebhookDelivery, WebhookSubscription } from '../domain/webhook.js';
import { ForeignTenantRowError, LaasError, NotFoundError } from '../errors.js';
import type {
  AnalyticsRepository,
  ApiKeyRepository,
  AuditRepository,
  BudgetRepository,
  BudgetReservation,
  CampaignRepository,
  CapRepository,
  CodePoolRepository,
  CustomerListFilter,
  CustomerRepository,
  EventListFilter,
  EventRepository,
  GlobalCapClaim,
  IdempotencyRepository,
  IssuanceListFilter,
  IssuanceRepository,
  OutboxRepository,
  PointsRepository,
  ReferralRepository,
  RefundRepository,
  ReminderRepository,
  RewardRepository,
  RuleRepository,
  TenantRepository,
  UssdRepository,
  WebhookDeliveryRepository,
  WebhookRepository,
  WhatsAppRepository,
} from '../ports/repositories.js';
import { capWindowKey } from '../ports/repositories.js';
import type { SharedMerchantRepository } from '../ports/shared-channels.js';
import {
  type EarnedReads,
  type IngestOpening,
  openIngestByParts,
  type Tx,
  UniqueViolationError,
} from '../ports/store.js';
import type { TierRepository } from '../ports/tier-repository.js';
import { analyticsRepository } from './analytics-repository.js';
import { auditRepository } from './audit-repository.js';
import { isSettled } from './compaction.js';
import { copy } from './copy.js';
import { referralRepository } from './referral-repository.js';
import { refundRepository } from './refund-repository.js';
import { reminderRepository } from './reminder-repository.js';
import { sharedMerchantRepository } from './shared-channel-repository.js';
import { SortedKeys } from './sorted-keys.js';
import {
  CodePool,
  earnedKey,
  earnedKeyId,
  earnedKeyMs,
  ms,
  pageOf,
  type StoreState,
  type TenantData,
} from './state.js';
import { tierRepository } from './tier-repository.js';
import type { UndoLog } from './undo-log.js';
import { ussdRepository } from './ussd-repository.js';
import { whatsappRepository } from './whatsapp-repository.js';

const SEP = '\u0000';

/**
 * The repositories of one MemoryStore transaction. Every method runs synchronously to the end
 * (no `await` inside), so each is atomic; the store runs one transaction at a time, so the guards
 * below are exact. Rows are copied on the way in and on the way out.
 */
export class MemoryTx implements Tx {
  readonly tenantId: string;

  readonly #ctx: Ctx;
  #tenants: TenantRepository | undefined;
  #customers: CustomerRepository | undefined;
  #events: EventRepository | undefined;
  #rules: RuleRepository | undefined;
  #rewards: RewardRepository | undefined;
  #codes: CodePoolRepository | undefined;
  #issuances: IssuanceRepository | undefined;
  #budgets: BudgetRepository | undefined;
  #points: PointsRepository | undefined;
  #campaigns: CampaignRepository | undefined;
  #caps: CapRepository | undefined;
  #webhooks: WebhookRepository | undefined;
  #outbox: OutboxRepository | undefined;
  #deliveries: WebhookDeliveryRepository | undefined;
  #apiKeys: ApiKeyRepository | undefined;
  #idempotency: IdempotencyRepository | undefined;
  #ussd: UssdRepository | undefined;
  #whatsapp: WhatsAppRepository | undefined;
  #referrals: ReferralRepository | undefined;
  #analytics: AnalyticsRepository | undefined;
  #refunds: RefundRepository | undefined;
  #audit: AuditRepository | undefined;
  #reminders: ReminderRepository | undefined;
  #sharedChannels: SharedMerchantRepository | undefined;
  #tiers: TierRepository | undefined;
  #active = true;

  /** `shareRows`: rows are stored and returned as they are, not copied (see `replayStore`). */
  constructor(state: StoreState, tenantId: string, log: UndoLog, shareRows = false) {
    this.tenantId = tenantId;
    const ctx: Ctx = {
      tenantId,
      state,
      data: state.of(tenantId),
      log,
      copy: shareRows ? same : copy,
      live: () => {
        if (!this.#active) {
          throw new LaasError(
            'INTERNAL_ERROR',
            'memoryStore: this transaction has ended; use the Tx only inside fn',
          );
        }
      },
    };
    this.#ctx = ctx;
  }

  // Each repository is made on first use: a transaction of the replay uses about half of them.
  get tenants(): TenantRepository {
    this.#tenants ??= tenantRepository(this.#ctx);
    return this.#tenants;
  }
  get customers(): CustomerRepository {
    this.#customers ??= customerRepository(this.#ctx);
    return this.#customers;
  }
  get events(): EventRepository {
    this.#events ??= eventRepository(this.#ctx);
    return this.#events;
  }
  get rules(): RuleRepository {
    this.#rules ??= ruleRepository(this.#ctx);
    return this.#rules;
  }
  get rewards(): RewardRepository {
    this.#rewards ??= rewardRepository(this.#ctx);
    return this.#rewards;
  }
  get codes(): CodePoolRepository {
    this.#codes ??= codePoolRepository(this.#ctx);
    return this.#codes;
  }
  get reminders(): ReminderRepository {
    this.#reminders ??= reminderRepository(this.#ctx);
    return this.#reminders;
  }
  get issuances(): IssuanceRepository {
    this.#issuances ??= issuanceRepository(this.#ctx);
    return this.#issuances;
  }
  get budgets(): BudgetRepository {
    this.#budgets ??= budgetRepository(this.#ctx);
    return this.#budgets;
  }
  get points(): PointsRepository {
    this.#points ??= pointsRepository(this.#ctx);
    return this.#points;
  }
  get campaigns(): CampaignRepository {
    this.#campaigns ??= campaignRepository(this.#ctx);
    return this.#campaigns;
  }
  get caps(): CapRepository {
    this.#caps ??= capRepository(this.#ctx);
    return this.#caps;
  }
  get webhooks(): WebhookRepository {
    this.#webhooks ??= webhookRepository(this.#ctx);
    return this.#webhooks;
  }
  get outbox(): OutboxRepository {
    this.#outbox ??= outboxRepository(this.#ctx);
    return this.#outbox;
  }
  get deliveries(): WebhookDeliveryRepository {
    this.#deliveries ??= deliveryRepository(this.#ctx);
    return this.#deliveries;
  }
  get apiKeys(): ApiKeyRepository {
    this.#apiKeys ??= apiKeyRepository(this.#ctx);
    return this.#apiKeys;
  }
  get idempotency(): IdempotencyRepository {
    this.#idempotency ??= idempotencyRepository(this.#ctx);
    return this.#idempotency;
  }
  get ussd(): UssdRepository {
    this.#ussd ??= ussdRepository(this.#ctx);
    return this.#ussd;
  }
  get whatsapp(): WhatsAppRepository {
    this.#whatsapp ??= whatsappRepository(this.#ctx);
    return this.#whatsapp;
  }
  get referrals(): ReferralRepository {
    this.#referrals ??= referralRepository(this.#ctx);
    return this.#referrals;
  }
  get sharedChannels(): SharedMerchantRepository {
    this.#sharedChannels ??= sharedMerchantRepository(this.#ctx);
    return this.#sharedChannels;
  }
  get tiers(): TierRepository {
    this.#tiers ??= tierRepository({ ...this.#ctx, configChanged: () => configChanged(this.#ctx) });
    return this.#tiers;
  }
  get analytics(): AnalyticsRepository {
    this.#analytics ??= analyticsRepository(this.#ctx);
    return this.#analytics;
  }
  get refunds(): RefundRepository {
    this.#refunds ??= refundRepository(this.#ctx);
    return this.#refunds;
  }

  get audit(): AuditRepository {
    this.#audit ??= auditRepository(this.#ctx);
    return this.#audit;
  }
  openIngest(idempotencyKey: string, ref: CustomerRef, earned: EarnedReads): Promise<IngestOpening> {
    return openIngestByParts(this, idempotencyKey, ref, earned);
  }

  get active(): boolean {
    return this.#active;
  }

  end(): void {
    this.#active = false;
  }
}

interface Ctx {
  readonly tenantId: string;
  readonly state: StoreState;
  readonly data: TenantData;
  readonly log: UndoLog;
  /** How rows are copied on the way in and out: {@link copy}, or not at all when rows are shared. */
  readonly copy: <T>(value: T) => T;
  /** Throws once the transaction has ended. */
  live(): void;
}

/** A row written in a transaction must belong to its tenant (invariant 7; RLS's WITH CHECK). */
function own(ctx: Ctx, row: { tenant_id: string }, entity: string): void {
  if (row.tenant_id !== ctx.tenantId) throw new ForeignTenantRowError(entity, row.tenant_id, ctx.tenantId);
}

function same<T>(value: T): T {
  return value;
}

function orNull<T>(ctx: Ctx, row: T | undefined): T | null {
  return row === undefined ? null : ctx.copy(row);
}

/**
 * Bumps the tenant's configuration version: called by every write of a rule, reward, campaign,
 * budget definition or the tenant itself. The SQL stores bump it with triggers (any writer, any
 * process); here every write goes through these repositories, so an explicit call is enough.
 */
function configChanged(ctx: Ctx): void {
  const { state, log, tenantId } = ctx;
  log.set(state.configVersions, tenantId, (state.configVersions.get(tenantId) ?? 0) + 1);
}

function tenantRepository(ctx: Ctx): TenantRepository {
  const { state, log } = ctx;
  const check = (tenant: Tenant): void => {
    if (tenant.id !== ctx.tenantId) {
      throw new LaasError(
        'INTERNAL_ERROR',
        `Tenant ${JSON.stringify(tenant.id)} cannot be written in a transaction of tenant ${JSON.stringify(ctx.tenantId)}`,
        { tenant_id: tenant.id },
      );
    }
  };
  return {
    async insert(tenant) {
      ctx.live();
      check(tenant);
      if (state.tenants.has(tenant.id)) throw new UniqueViolationError('tenant', 'id', tenant.id);
      log.set(state.tenants, tenant.id, ctx.copy(tenant));
      log.insertSorted(state.tenantOrder, tenant.id);
    },
    async get() {
      ctx.live();
      return orNull(ctx, state.tenants.get(ctx.tenantId));
    },
    async getVersioned() {
      ctx.live();
      const tenant = state.tenants.get(ctx.tenantId);
      if (tenant === undefined) return null;
      return { tenant: ctx.copy(tenant), configVersion: state.configVersions.get(ctx.tenantId) ?? 0 };
    },
    async update(tenant) {
      ctx.live();
      // Another tenant's row is not visible here: like an UPDATE that matches no row.
      const before = tenant.id === ctx.tenantId ? state.tenants.get(tenant.id) : undefined;
      if (before === undefined) return;
      log.set(state.tenants, tenant.id, { ...copy(tenant), created_at: before.created_at });
      configChanged(ctx);
    },
  };
}

function customerRepository(ctx: Ctx): CustomerRepository {
  const { data, log } = ctx;
  const table = data.customers;

  /** Throws when `phone` / `external_ref` belong to a customer other than `id`. */
  const checkUnique = (customer: Customer): void => {
    if (customer.phone !== null) {
      const holder = data.customerByPhone.get(customer.phone);
      if (holder !== undefined && holder !== customer.id) {
        throw new UniqueViolationError('customer', 'phone', customer.phone);
      }
    }
    if (customer.external_ref !== null) {
      const holder = data.customerByRef.get(customer.external_ref);
      if (holder !== undefined && holder !== customer.id) {
        throw new UniqueViolationError('customer', 'external_ref', customer.external_ref);
      }
    }
  };
  const reindex = (before: Customer | undefined, after: Customer): void => {
    if (before?.phone !== after.phone) {
      if (before?.phone != null) log.delete(data.customerByPhone, before.phone);
      if (after.phone !== null) log.set(data.customerByPhone, after.phone, after.id);
    }
    if (before?.external_ref !== after.external_ref) {
      if (before?.external_ref != null) log.delete(data.customerByRef, before.external_ref);
      if (after.external_ref !== null) log.set(data.customerByRef, after.external_ref, after.id);
    }
  };
  const byIndex = (index: Map<string, string>, key: string): Customer | null => {
    const id = index.get(key);
    return id === undefined ? null : orNull(ctx, table.get(id));
  };

  return {
    async insert(customer) {
      ctx.live();
      own(ctx, customer, 'customer');
      if (table.has(customer.id)) throw new UniqueViolationError('customer', 'id', customer.id);
      checkUnique(customer);
      const row = ctx.copy(customer);
      table.insert(log, row);
      reindex(undefined, row);
    },
    async get(id) {
      ctx.live();
      return orNull(ctx, table.get(id));
    },
    async findByExternalRef(externalRef) {
      ctx.live();
      return byIndex(data.customerByRef, externalRef);
    },
    async findByPhone(phone) {
      ctx.live();
      return byIndex(data.customerByPhone, phone);
    },
    async lock(id) {
      // One transaction at a time: holding the store is holding every row lock.
      ctx.live();
      return orNull(ctx, table.get(id));
    },
    async updateProfile(customer) {
      ctx.live();
      const before = table.get(customer.id);
      if (before === undefined) return;
      own(ctx, customer, 'customer');
      checkUnique(customer);
      const after: Customer = {
        ...before,
        phone: customer.phone,
        external_ref: customer.external_ref,
        name: customer.name,
        birthday: customer.birthday,
        attributes: ctx.copy(customer.attributes),
        tags: ctx.copy(customer.tags),
        status: customer.status,
      };
      table.replace(log, after);
      reindex(before, after);
    },
    async recordEvent(id, type, spend, at) {
      ctx.live();
      const before = table.get(id);
      if (before === undefined) throw new NotFoundError('customer', id);
      const after = withEventCounted(before, type, spend, at);
      table.replace(log, after);
      return ctx.copy(after);
    },
    async adjustPointsBalance(id, delta) {
      ctx.live();
      const before = table.get(id);
      if (before === undefined) return null;
      const balance = before.stats.points_balance + delta;
      if (balance < 0) return null;
      table.replace(log, { ...before, stats: { ...before.stats, points_balance: balance } });
      return balance;
    },
    async list(filter: CustomerListFilter, page) {
      ctx.live();
      const { status, tag, q } = filter;
      if (status === undefined && tag === undefined && q === undefined) return table.page(page);
      return table.page(
        page,
        (c) =>
          (status === undefined || c.status === status) &&
          (tag === undefined || c.tags.includes(tag)) &&
          (q === undefined || customerMatchesSearch(c, q)),
      );
    },
    async listBirthdays(monthDay, page) {
      ctx.live();
      return table.page(page, (c) => c.status === 'active' && c.birthday?.slice(5) === monthDay);
    },
    async listInactive(before, page) {
      ctx.live();
      const cutoff = ms(before);
      return table.page(page, (c) => c.status === 'active' && ms(c.last_event_at ?? c.enrolled_at) < cutoff);
    },
  };
}

function eventRepository(ctx: Ctx): EventRepository {
  const { data, log } = ctx;
  const table = data.events;
  return {
    async findByIdempotencyKey(key) {
      ctx.live();
      const id = data.eventByKey.get(key);
      return id === undefined ? null : orNull(ctx, table.get(id));
    },
    async insert(event: LoyaltyEvent) {
      ctx.live();
      own(ctx, event, 'event');
      if (table.has(event.id)) throw new UniqueViolationError('event', 'id', event.id);
      if (data.eventByKey.has(event.idempotency_key)) {
        throw new UniqueViolationError('event', 'idempotency_key', event.idempotency_key);
      }
      table.insert(log, ctx.copy(event));
      log.set(data.eventByKey, event.idempotency_key, event.id);
    },
    async setOutcome(id, outcome: EventOutcome) {
      ctx.live();
      const before = table.get(id);
      if (before !== undefined) table.replace(log, { ...before, outcome: ctx.copy(outcome) });
    },
    async get(id) {
      ctx.live();
      return orNull(ctx, table.get(id));
    },
    async list(filter: EventListFilter, page) {
      ctx.live();
      const { customer_id, type } = filter;
      if (customer_id === undefined && type === undefined) return table.page(page);
      return table.page(
        page,
        (e) =>
          (customer_id === undefined || e.customer_id === customer_id) &&
          (type === undefined || e.type === type),
      );
    },
  };
}

function ruleRepository(ctx: Ctx): RuleRepository {
  const { data, log } = ctx;
  const table = data.rules;
  return {
    async insert(rule) {
      ctx.live();
      own(ctx, rule, 'rule');
      if (table.has(rule.id)) throw new UniqueViolationError('rule', 'id', rule.id);
      table.insert(log, ctx.copy(rule));
      configChanged(ctx);
    },
    async get(id) {
      ctx.live();
      return orNull(ctx, table.get(id));
    },
    async update(rule, expectedVersion) {
      ctx.live();
      const before = table.get(rule.id);
      if (before === undefined || before.version !== expectedVersion) return false;
      own(ctx, rule, 'rule');
      table.replace(log, { ...copy(rule), created_at: before.created_at });
      configChanged(ctx);
      return true;
    },
    async delete(id) {
      ctx.live();
      const deleted = table.delete(log, id);
      if (deleted) configChanged(ctx);
      return deleted;
    },
    async list(page) {
      ctx.live();
      return table.page(page);
    },
    async listActiveForEventType(type) {
      ctx.live();
      const matching: Rule[] = [];
      for (const rule of table.rows.values()) {
        if (rule.active && rule.event_types.includes(type)) matching.push(rule);
      }
      matching.sort((a, b) => a.priority - b.priority || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
      return matching.map(ctx.copy);
    },
  };
}

function rewardRepository(ctx: Ctx): RewardRepository {
  const { data, log } = ctx;
  const table = data.rewards;
  return {
    async insert(reward: Reward) {
      ctx.live();
      own(ctx, reward, 'reward');
      if (table.has(reward.id)) throw new UniqueViolationError('reward', 'id', reward.id);
      table.insert(log, ctx.copy(reward));
      configChanged(ctx);
    },
    async get(id) {
      ctx.live();
      return orNull(ctx, table.get(id));
    },
    async update(reward) {
      ctx.live();
      const before = table.get(reward.id);
      if (before === undefined) return;
      own(ctx, reward, 'reward');
      table.replace(log, { ...copy(reward), created_at: before.created_at });
      configChanged(ctx);
    },
    async list(page) {
      ctx.live();
      return table.page(page);
    },
  };
}

function codePoolRepository(ctx: Ctx): CodePoolRepository {
  const { data, log } = ctx;
  return {
    async add(rewardId, codes, at) {
      ctx.live();
      let pool = data.codePools.get(rewardId);
      if (pool === undefined) {
        pool = new CodePool();
        log.set(data.codePools, rewardId, pool);
      }
      let added = 0;
      const duplicates: string[] = [];
      for (const code of codes) {
        if (pool.all.has(code)) {
          duplicates.push(code);
          continue;
        }
        log.set(pool.all, code, { code, issuance_id: null, added_at: at });
        pool.push(log, code);
        added += 1;
      }
      return { added, duplicates };
    },
    async draw(rewardId, issuanceId) {
      ctx.live();
      const pool = data.codePools.get(rewardId);
      if (pool === undefined) return null;
      for (;;) {
        const code = pool.shift(log);
        if (code === undefined) return null;
        const row = pool.all.get(code);
        // Always free by construction; the check keeps a code from ever being handed out twice.
        if (row === undefined || row.issuance_id !== null) continue;
        log.set(pool.all, code, { ...row, issuance_id: issuanceId });
        return code;
      }
    },
    async counts(rewardId) {
      ctx.live();
      const pool = data.codePools.get(rewardId);
      if (pool === undefined) return { available: 0, used: 0 };
      return { available: pool.available, used: pool.all.size - pool.available };
    },
    async release(rewardId, code) {
      ctx.live();
      const pool = data.codePools.get(rewardId);
      const row = pool?.all.get(code);
      if (pool === undefined || row === undefined || row.issuance_id === null) return;
      log.set(pool.all, code, { ...row, issuance_id: null });
      pool.push(log, code);
    },
    async find(code) {
      ctx.live();
      const found: Array<{ reward_id: string; issuance_id: string | null }> = [];
      for (const [rewardId, pool] of data.codePools) {
        const row = pool.all.get(code);
        if (row !== undefined) found.push({ reward_id: rewardId, issuance_id: row.issuance_id });
      }
      return found;
    },
  };
}

/** When an issuance in this state falls due (`listDue`), or null. */
function dueAt(issuance: Issuance): number | null {
  if (issuance.state === 'issued' && issuance.expires_at !== null) return ms(issuance.expires_at);
  if (issuance.state === 'reserved' && issuance.reserve_deadline !== null)
    return ms(issuance.reserve_deadline);
  return null;
}

function issuanceRepository(ctx: Ctx): IssuanceRepository {
  const { data, log } = ctx;
  const table = data.issuances;

  const earnedIndex = (map: Map<string, SortedKeys>, key: string): SortedKeys => {
    let keys = map.get(key);
    if (keys === undefined) {
      keys = new SortedKeys();
      log.set(map, key, keys);
    }
    return keys;
  };
  const unindex = (row: Issuance): void => {
    if (row.code !== null && data.issuanceByCode.get(row.code) === row.id)
      log.delete(data.issuanceByCode, row.code);
    if (row.rule_id !== null) {
      const key = earnedKey(ms(row.earned_at), row.id);
      const byRule = data.earnedByRule.get(row.rule_id);
      if (byRule !== undefined) log.removeSorted(byRule, key);
      const byCustomer = data.earnedByRuleCustomer.get(`${row.rule_id}${SEP}${row.customer_id}`);
      if (byCustomer !== undefined) log.removeSorted(byCustomer, key);
    }
    log.delete(data.dueIssuances, row.id);
  };
  const index = (row: Issuance): void => {
    if (row.code !== null) log.set(data.issuanceByCode, row.code, row.id);
    if (row.rule_id !== null) {
      const key = earnedKey(ms(row.earned_at), row.id);
      log.insertSorted(earnedIndex(data.earnedByRule, row.rule_id), key);
      log.insertSorted(earnedIndex(data.earnedByRuleCustomer, `${row.rule_id}${SEP}${row.customer_id}`), key);
    }
    const due = dueAt(row);
    if (due !== null) log.set(data.dueIssuances, row.id, due);
  };
  const reindex = (before: Issuance, after: Issuance): void => {
    if (
      before.code === after.code &&
      before.rule_id === after.rule_id &&
      before.customer_id === after.customer_id &&
      before.earned_at === after.earned_at
    ) {
      const due = dueAt(after);
      if (due === null) log.delete(data.dueIssuances, after.id);
      else if (data.dueIssuances.get(after.id) !== due) log.set(data.dueIssuances, after.id, due);
      return;
    }
    unindex(before);
    index(after);
  };

  return {
    async insert(issuance) {
      ctx.live();
      own(ctx, issuance, 'issuance');
      if (table.has(issuance.id)) throw new UniqueViolationError('issuance', 'id', issuance.id);
      const row = ctx.copy(issuance);
      table.insert(log, row);
      index(row);
      if (isSettled(row)) data.settledIssuances?.push(row.id);
    },
    async get(id) {
      ctx.live();
      return orNull(ctx, table.get(id));
    },
    async getByCode(code) {
      ctx.live();
      const id = data.issuanceByCode.get(code);
      return id === undefined ? null : orNull(ctx, table.get(id));
    },
    async transition(next, from: IssuanceState) {
      ctx.live();
      const before = table.get(next.id);
      if (before === undefined || before.state !== from) return null;
      own(ctx, next, 'issuance');
      const after = { ...copy(next), created_at: before.created_at };
      table.replace(log, after);
      reindex(before, after);
      if (isSettled(after)) data.settledIssuances?.push(after.id);
      return ctx.copy(after);
    },
    async list(filter: IssuanceListFilter, page) {
      ctx.live();
      const { customer_id, rule_id, reward_id, state } = filter;
      if (
        customer_id === undefined &&
        rule_id === undefined &&
        reward_id === undefined &&
        state === undefined
      )
        return table.page(page);
      return table.page(
        page,
        (i) =>
          (customer_id === undefined || i.customer_id === customer_id) &&
          (rule_id === undefined || i.rule_id === rule_id) &&
          (reward_id === undefined || i.reward_id === reward_id) &&
          (state === undefined || i.state === state),
      );
    },
    async countEarned(ruleId, customerId, since) {
      ctx.live();
      const keys =
        customerId === null
          ? data.earnedByRule.get(ruleId)
          : data.earnedByRuleCustomer.get(`${ruleId}${SEP}${customerId}`);
      if (keys === undefined) return 0;
      if (since === null) return keys.size;
      return keys.size - keys.lowerBound(earnedKey(ms(since), ''));
    },
    async lastEarnedAt(ruleId, customerId) {
      ctx.live();
      const last = data.earnedByRuleCustomer.get(`${ruleId}${SEP}${customerId}`)?.last();
      if (last === undefined) return null;
      // A replay store's compaction may have forgotten the row; its key still holds the instant.
      return table.get(earnedKeyId(last))?.earned_at ?? new Date(earnedKeyMs(last)).toISOString();
    },
    async listDue(now, limit) {
      ctx.live();
      const cutoff = ms(now);
      const due: Array<[string, number]> = [];
      for (const entry of data.dueIssuances) if (entry[1] <= cutoff) due.push(entry);
      due.sort((a, b) => a[1] - b[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
      const out: Issuance[] = [];
      for (const [id] of due.slice(0, Math.max(0, limit))) {
        const row = table.get(id);
        if (row !== undefined) out.push(ctx.copy(row));
      }
      return out;
    },
  };
}

function budgetRepository(ctx: Ctx): BudgetRepository {
  const { data, log } = ctx;
  const table = data.budgets;
  const periodId = (budgetId: string, period: string): string => `${budgetId}${SEP}${period}`;
  const createPeriod = (budgetId: string, period: string, limit: number): BudgetPeriod => {
    const row: BudgetPeriod = {
      budget_id: budgetId,
      period,
      limit,
      reserved: 0,
      utilized: 0,
      spent: 0,
      threshold_notified: false,
      exhausted_notified: false,
    };
    log.set(data.periods, periodId(budgetId, period), row);
    let keys = data.periodKeys.get(budgetId);
    if (keys === undefined) {
      keys = new SortedKeys();
      log.set(data.periodKeys, budgetId, keys);
    }
    log.insertSorted(keys, period);
    return row;
  };
  const write = (row: BudgetPeriod): BudgetPeriod => {
    log.set(data.periods, periodId(row.budget_id, row.period), row);
    return ctx.copy(row);
  };

  return {
    async insert(budget: Budget) {
      ctx.live();
      own(ctx, budget, 'budget');
      if (table.has(budget.id)) throw new UniqueViolationError('budget', 'id', budget.id);
      table.insert(log, ctx.copy(budget));
      configChanged(ctx);
    },
    async get(id) {
      ctx.live();
      return orNull(ctx, table.get(id));
    },
    async update(budget) {
      ctx.live();
      const before = table.get(budget.id);
      if (before === undefined) return;
      own(ctx, budget, 'budget');
      table.replace(log, { ...copy(budget), created_at: before.created_at });
      configChanged(ctx);
    },
    async list(page) {
      ctx.live();
      return table.page(page);
    },
    async getPeriod(budgetId, period) {
      ctx.live();
      return orNull(ctx, data.periods.get(periodId(budgetId, period)));
    },
    async listPeriods(budgetId) {
      ctx.live();
      const keys = data.periodKeys.get(budgetId);
      const out: BudgetPeriod[] = [];
      if (keys === undefined) return out;
      for (let i = keys.size - 1; i >= 0; i--) {
        const row = data.periods.get(periodId(budgetId, keys.at(i) as string));
        if (row !== undefined) out.push(ctx.copy(row));
      }
      return out;
    },
    async reserve(reservation: BudgetReservation) {
      ctx.live();
      const { budgetId, period, defaultLimit, amount, hardCap } = reservation;
      const existing = data.periods.get(periodId(budgetId, period));
      const limit = existing?.limit ?? defaultLimit;
      const committed = existing === undefined ? 0 : existing.reserved + existing.utilized + existing.spent;
      // Refused: nothing changes, not even the creation of the period row.
      if (hardCap && committed + amount > limit) return null;
      const row = existing ?? createPeriod(budgetId, period, defaultLimit);
      return write({ ...row, reserved: row.reserved + amount });
    },
    async move(budgetId, period, from, to, amount) {
      ctx.live();
      const row = data.periods.get(periodId(budgetId, period));
      if (row === undefined) throw new NotFoundError('budget period', `${budgetId}/${period}`);
      if (row[from] < amount) {
        throw new LaasError(
          'INTERNAL_ERROR',
          `Budget ${budgetId} period ${period}: cannot move ${amount} out of ${from}, which holds ${row[from]}`,
          { budget_id: budgetId, period, from, to, amount, held: row[from] },
        );
      }
      const next: BudgetPeriod = { ...row, [from]: row[from] - amount };
      if (to !== null) next[to] = next[to] + amount;
      return write(next);
    },
    async topUp(budgetId, period, defaultLimit, amount) {
      ctx.live();
      const row =
        data.periods.get(periodId(budgetId, period)) ?? createPeriod(budgetId, period, defaultLimit);
      return write({ ...row, limit: row.limit + amount });
    },
    async markNotified(budgetId, period, kind) {
      ctx.live();
      const row = data.periods.get(periodId(budgetId, period));
      if (row === undefined) return false;
      const flag = kind === 'threshold' ? 'threshold_notified' : 'exhausted_notified';
      if (row[flag]) return false;
      write({ ...row, [flag]: true });
      return true;
    },
    async appendLedger(entry: BudgetLedgerEntry) {
      ctx.live();
      own(ctx, entry, 'budget ledger entry');
      if (data.budgetLedger.has(entry.id))
        throw new UniqueViolationError('budget ledger entry', 'id', entry.id);
      data.budgetLedger.insert(log, ctx.copy(entry));
    },
    async listLedger(budgetId, period, page) {
      ctx.live();
      return data.budgetLedger.page(
        page,
        (e) => e.budget_id === budgetId && (period === null || e.period === period),
      );
    },
  };
}

/** Spending order: expiring first, never-expiring last, then earned first, then id. */
function lotOrder(a: PointsLot, b: PointsLot): number {
  if (a.expires_at !== b.expires_at) {
    if (a.expires_at === null) return 1;
    if (b.expires_at === null) return -1;
    const d = ms(a.expires_at) - ms(b.expires_at);
    if (d !== 0) return d;
  }
  const e = ms(a.earned_at) - ms(b.earned_at);
  if (e !== 0) return e;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

function pointsRepository(ctx: Ctx): PointsRepository {
  const { data, log } = ctx;

  const keysOf = (map: Map<string, SortedKeys>, key: string): SortedKeys => {
    let keys = map.get(key);
    if (keys === undefined) {
      keys = new SortedKeys();
      log.set(map, key, keys);
    }
    return keys;
  };
  /** When a lot with points left falls due, in ms; undefined when it never does or is spent. */
  const dueOf = (lot: PointsLot | undefined): number | undefined =>
    lot === undefined || lot.remaining === 0 || lot.expires_at === null ? undefined : ms(lot.expires_at);
  /**
   * Writes a lot and keeps `dueLotKeys` (the lots with points left and an expiry) in step with its
   * `remaining`. The lot's previous row says where its key was: no second index of due times.
   */
  const writeLot = (lot: PointsLot): void => {
    const before = dueOf(data.lots.get(lot.id));
    log.set(data.lots, lot.id, lot);
    if (lot.remaining === 0) data.spentLots?.push(lot.id);
    const due = dueOf(lot);
    if (before === due) return;
    if (before !== undefined) log.removeSorted(data.dueLotKeys, earnedKey(before, lot.id));
    if (due !== undefined) log.insertSorted(data.dueLotKeys, earnedKey(due, lot.id));
  };

  return {
    async insertLot(lot) {
      ctx.live();
      own(ctx, lot, 'points lot');
      if (data.lots.has(lot.id)) throw new UniqueViolationError('points lot', 'id', lot.id);
      log.insertSorted(keysOf(data.lotsByCustomer, lot.customer_id), lot.id);
      writeLot(ctx.copy(lot));
    },
    async consumeLots(customerId, amount) {
      ctx.live();
      const taken: Array<{ lot_id: string; amount: number }> = [];
      if (amount <= 0) return taken;
      const lots: PointsLot[] = [];
      let held = 0;
      // A customer's lots, spent ones included (until a replay's compaction forgets them).
      const ids = data.lotsByCustomer.get(customerId);
      for (let i = 0; i < (ids?.size ?? 0); i++) {
        const lot = data.lots.get(ids?.at(i) as string);
        if (lot !== undefined && lot.remaining > 0) {
          lots.push(lot);
          held += lot.remaining;
        }
      }
      if (held < amount) {
        throw new LaasError(
          'INTERNAL_ERROR',
          `Customer ${customerId}: cannot take ${amount} points from lots that hold ${held}`,
          { customer_id: customerId, amount, held },
        );
      }
      lots.sort(lotOrder);
      let left = amount;
      for (const lot of lots) {
        if (left === 0) break;
        const take = Math.min(lot.remaining, left);
        writeLot({ ...lot, remaining: lot.remaining - take });
        taken.push({ lot_id: lot.id, amount: take });
        left -= take;
      }
      return taken;
    },
    async listDueLots(now, limit) {
      ctx.live();
      const cutoff = ms(now);
      const due: PointsLot[] = [];
      // Soonest expiry first: stop at the first lot not yet due.
      for (let i = 0; i < data.dueLotKeys.size; i++) {
        const key = data.dueLotKeys.at(i) as string;
        if (earnedKeyMs(key) > cutoff) break;
        const lot = data.lots.get(earnedKeyId(key));
        if (lot !== undefined) due.push(lot);
      }
      due.sort(lotOrder);
      return due.slice(0, Math.max(0, limit)).map(ctx.copy);
    },
    async expireLot(lotId) {
      ctx.live();
      const lot = data.lots.get(lotId);
      if (lot === undefined || lot.remaining === 0) return 0;
      writeLot({ ...lot, remaining: 0 });
      return lot.remaining;
    },
    async listLots(customerId) {
      ctx.live();
      const keys = data.lotsByCustomer.get(customerId);
      const out: PointsLot[] = [];
      if (keys === undefined) return out;
      for (let i = keys.size - 1; i >= 0; i--) {
        const lot = data.lots.get(keys.at(i) as string);
        if (lot !== undefined) out.push(ctx.copy(lot));
      }
      return out;
    },
    async appendLedger(entry: PointsLedgerEntry) {
      ctx.live();
      own(ctx, entry, 'points ledger entry');
      if (data.pointsLedger.has(entry.id))
        throw new UniqueViolationError('points ledger entry', 'id', entry.id);
      data.pointsLedger.insert(log, ctx.copy(entry));
      log.insertSorted(keysOf(data.pointsLedgerByCustomer, entry.customer_id), entry.id);
    },
    async listLedger(customerId, page: PageRequest): Promise<Page<PointsLedgerEntry>> {
      ctx.live();
      const keys = data.pointsLedgerByCustomer.get(customerId);
      if (keys === undefined) return { items: [], next_cursor: null };
      return pageOf(keys, (id) => data.pointsLedger.get(id), page);
    },
    async netForIssuance(customerId, issuanceId) {
      ctx.live();
      const keys = data.pointsLedgerByCustomer.get(customerId);
      let net = 0;
      for (let i = 0; i < (keys?.size ?? 0); i++) {
        const entry = data.pointsLedger.get(keys?.at(i) as string);
        if (entry?.issuance_id === issuanceId) net += entry.amount;
      }
      return net;
    },
  };
}

function campaignRepository(ctx: Ctx): CampaignRepository {
  const { data, log } = ctx;
  const table = data.campaigns;
  return {
    async insert(campaign: Campaign) {
      ctx.live();
      own(ctx, campaign, 'campaign');
      if (table.has(campaign.id)) throw new UniqueViolationError('campaign', 'id', campaign.id);
      table.insert(log, ctx.copy(campaign));
      configChanged(ctx);
    },
    async get(id) {
      ctx.live();
      return orNull(ctx, table.get(id));
    },
    async update(campaign) {
      ctx.live();
      const before = table.get(campaign.id);
      if (before === undefined) return;
      own(ctx, campaign, 'campaign');
      table.replace(log, { ...copy(campaign), created_at: before.created_at });
      configChanged(ctx);
    },
    async list(page) {
      ctx.live();
      return table.page(page);
    },
  };
}

function capRepository(ctx: Ctx): CapRepository {
  const { data, log } = ctx;
  const counterKey = (claim: GlobalCapClaim): string | null =>
    claim.window.kind === 'rolling'
      ? null
      : `${claim.ruleId}${SEP}${claim.capKey}${SEP}${capWindowKey(claim.window)}`;
  return {
    async claimGlobal(claim) {
      ctx.live();
      const key = counterKey(claim);
      if (key === null) {
        if (claim.window.kind !== 'rolling') return false;
        const keys = data.earnedByRule.get(claim.ruleId);
        const used =
          keys === undefined ? 0 : keys.size - keys.lowerBound(earnedKey(ms(claim.window.since), ''));
        return used < claim.max;
      }
      const used = data.capCounters.get(key) ?? 0;
      if (used >= claim.max) return false;
      log.set(data.capCounters, key, used + 1);
      return true;
    },
    async releaseGlobal(claim) {
      ctx.live();
      const key = counterKey(claim);
      if (key === null) return;
      const used = data.capCounters.get(key) ?? 0;
      if (used > 0) log.set(data.capCounters, key, used - 1);
    },
  };
}

function webhookRepository(ctx: Ctx): WebhookRepository {
  const { data, log } = ctx;
  const table = data.webhooks;
  return {
    async insert(subscription: WebhookSubscription) {
      ctx.live();
      own(ctx, subscription, 'webhook subscription');
      if (table.has(subscription.id))
        throw new UniqueViolationError('webhook subscription', 'id', subscription.id);
      table.insert(log, ctx.copy(subscription));
    },
    async get(id) {
      ctx.live();
      return orNull(ctx, table.get(id));
    },
    async update(subscription) {
      ctx.live();
      const before = table.get(subscription.id);
      if (before === undefined) return;
      own(ctx, subscription, 'webhook subscription');
      table.replace(log, { ...copy(subscription), created_at: before.created_at });
    },
    async delete(id) {
      ctx.live();
      return table.delete(log, id);
    },
    async list(page) {
      ctx.live();
      return table.page(page);
    },
    async disable(id, reason, at) {
      ctx.live();
      const before = table.get(id);
      if (before === undefined || !before.active) return false;
      table.replace(log, { ...before, active: false, disabled_reason: reason, updated_at: at });
      return true;
    },
    async countDelivery(id, failed) {
      ctx.live();
      const before = table.get(id);
      if (before === undefined) return null;
      const failure_count = failed ? before.failure_count + 1 : 0;
      if (failure_count !== before.failure_count) table.replace(log, { ...before, failure_count });
      return failure_count;
    },
  };
}

function outboxRepository(ctx: Ctx): OutboxRepository {
  const { data, log } = ctx;
  return {
    async append(event: OutboxEvent) {
      ctx.live();
      own(ctx, event, 'outbox event');
      if (data.outbox.has(event.id)) throw new UniqueViolationError('outbox event', 'id', event.id);
      data.outbox.insert(log, ctx.copy(event));
      log.insertSorted(data.undispatched, event.id);
    },
    async list(page) {
      ctx.live();
      return data.outbox.page(page);
    },
    async claimUndispatched(limit) {
      // One transaction at a time: the rows are this transaction's until it marks them.
      ctx.live();
      const out: OutboxEvent[] = [];
      const n = Math.min(Math.max(0, Math.floor(limit)), data.undispatched.size);
      for (let i = 0; i < n; i++) {
        const row = data.outbox.get(data.undispatched.at(i) as string);
        if (row !== undefined) out.push(ctx.copy(row));
      }
      return out;
    },
    async markDispatched(ids, at) {
      ctx.live();
      for (const id of ids) {
        if (!data.outbox.has(id) || !log.removeSorted(data.undispatched, id)) continue;
        log.set(data.dispatchedAt, id, at);
      }
    },
  };
}

function deliveryRepository(ctx: Ctx): WebhookDeliveryRepository {
  const { data, log } = ctx;
  const table = data.deliveries;
  const write = (row: WebhookDelivery): void => {
    table.replace(log, row);
    if (row.status === 'pending') log.set(data.pendingDeliveries, row.id, true);
    else log.delete(data.pendingDeliveries, row.id);
  };
  return {
    async insert(delivery) {
      ctx.live();
      own(ctx, delivery, 'webhook delivery');
      if (table.has(delivery.id)) throw new UniqueViolationError('webhook delivery', 'id', delivery.id);
      table.insert(log, ctx.copy(delivery));
      if (delivery.status === 'pending') log.set(data.pendingDeliveries, delivery.id, true);
    },
    async get(id) {
      ctx.live();
      return orNull(ctx, table.get(id));
    },
    async claimDue(now, limit, leaseMs) {
      ctx.live();
      const cutoff = ms(now);
      const due: WebhookDelivery[] = [];
      for (const id of data.pendingDeliveries.keys()) {
        const row = table.get(id);
        if (row === undefined || row.next_attempt_at === null || ms(row.next_attempt_at) > cutoff) continue;
        if (row.locked_until !== null && ms(row.locked_until) >= cutoff) continue;
        due.push(row);
      }
      due.sort(
        (a, b) => ms(a.next_attempt_at as string) - ms(b.next_attempt_at as string) || (a.id < b.id ? -1 : 1),
      );
      const lockedUntil = new Date(cutoff + leaseMs).toISOString();
      return due.slice(0, Math.max(0, Math.floor(limit))).map((row) => {
        const after = { ...row, locked_until: lockedUntil };
        write(after);
        return ctx.copy(after);
      });
    },
    async update(delivery) {
      ctx.live();
      const before = table.get(delivery.id);
      if (before === undefined) return;
      own(ctx, delivery, 'webhook delivery');
      write({
        ...before,
        status: delivery.status,
        attempts: delivery.attempts,
        next_attempt_at: delivery.next_attempt_at,
        locked_until: delivery.locked_until,
        last_status: delivery.last_status,
        last_error: delivery.last_error,
        updated_at: delivery.updated_at,
      });
    },
    async failPending(subscriptionId, reason, at) {
      ctx.live();
      let n = 0;
      for (const id of [...data.pendingDeliveries.keys()]) {
        const row = table.get(id);
        if (row === undefined || row.subscription_id !== subscriptionId) continue;
        write({
          ...row,
          status: 'failed',
          next_attempt_at: null,
          locked_until: null,
          last_error: reason,
          updated_at: at,
        });
        n++;
      }
      return n;
    },
    async listForSubscription(subscriptionId, page) {
      ctx.live();
      return table.page(page, (row) => row.subscription_id === subscriptionId);
    },
    async appendAttempt(attempt: WebhookAttempt) {
      ctx.live();
      own(ctx, attempt, 'webhook attempt');
      if (data.attempts.has(attempt.id)) throw new UniqueViolationError('webhook attempt', 'id', attempt.id);
      log.set(data.attempts, attempt.id, ctx.copy(attempt));
      let keys = data.attemptsByDelivery.get(attempt.delivery_id);
      if (keys === undefined) {
        keys = new SortedKeys();
        log.set(data.attemptsByDelivery, attempt.delivery_id, keys);
      }
      log.insertSorted(keys, attempt.id);
    },
    async listAttempts(deliveryIds) {
      ctx.live();
      const out: WebhookAttempt[] = [];
      for (const deliveryId of new Set(deliveryIds)) {
        const keys = data.attemptsByDelivery.get(deliveryId);
        for (let i = 0; i < (keys?.size ?? 0); i++) {
          const row = data.attempts.get(keys?.at(i) as string);
          if (row !== undefined) out.push(ctx.copy(row));
        }
      }
      return out.sort((a, b) => ms(a.at) - ms(b.at) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    },
  };
}

function apiKeyRepository(ctx: Ctx): ApiKeyRepository {
  const { data, state, log } = ctx;
  const table = data.apiKeys;
  return {
    async insert(key: ApiKey) {
      ctx.live();
      own(ctx, key, 'API key');
      if (table.has(key.id)) throw new UniqueViolationError('API key', 'id', key.id);
      // Unique across tenants: authentication finds a key by its hash alone.
      if (state.apiKeyByHash.has(key.key_hash)) throw new UniqueViolationError('API key', 'key_hash');
      table.insert(log, ctx.copy(key));
      log.set(state.apiKeyByHash, key.key_hash, { tenantId: ctx.tenantId, id: key.id });
    },
    async get(id) {
      ctx.live();
      return orNull(ctx, table.get(id));
    },
    async revoke(id, at) {
      ctx.live();
      const before = table.get(id);
      if (before === undefined || before.revoked_at !== null) return false;
      table.replace(log, { ...before, revoked_at: at });
      return true;
    },
    async list(page) {
      ctx.live();
      return table.page(page);
    },
  };
}

function idempotencyRepository(ctx: Ctx): IdempotencyRepository {
  const { data, log } = ctx;
  return {
    async get(key) {
      ctx.live();
      return orNull(ctx, data.idempotency.get(key));
    },
    async put(record: IdempotencyRecord) {
      ctx.live();
      own(ctx, record, 'idempotency record');
      if (data.idempotency.has(record.key))
        throw new UniqueViolationError('idempotency record', 'key', record.key);
      log.set(data.idempotency, record.key, ctx.copy(record));
    },
    async purge(before) {
      ctx.live();
      const cutoff = ms(before);
      const stale: string[] = [];
      for (const [key, record] of data.idempotency) if (ms(record.created_at) < cutoff) stale.push(key);
      for (const key of stale) log.delete(data.idempotency, key);
      return stale.length;
    },
  };
}
