import {
  type AnalyticsRepository,
  type ApiKey,
  type ApiKeyRepository,
  type Budget,
  type BudgetCounter,
  type BudgetLedgerEntry,
  type BudgetRepository,
  type BudgetReservation,
  type Campaign,
  type CampaignRepository,
  type CapRepository,
  type CodePoolRepository,
  type Customer,
  type CustomerListFilter,
  type CustomerRepository,
  capWindowKey,
  decodeCursor,
  type EventListFilter,
  type EventOutcome,
  type EventRepository,
  encodeCursor,
  escapeLike,
  ForeignTenantRowError,
  type GlobalCapClaim,
  type IdempotencyRecord,
  type IdempotencyRepository,
  type Issuance,
  type IssuanceListFilter,
  type IssuanceRepository,
  type IssuanceState,
  isUuid,
  type LoyaltyEvent,
  NotFoundError,
  type OutboxEvent,
  type OutboxRepository,
  type Page,
  type PageRequest,
  type PointsLedgerEntry,
  type PointsLot,
  type PointsRepository,
  pageLimit,
  type Reward,
  type RewardRepository,
  type Rule,
  type RuleRepository,
  StateConflictError,
  searchDigits,
  type Tenant,
  type TenantRepository,
  type Tx,
  UniqueViolationError,
  type WebhookAttempt,
  type WebhookDelivery,
  type WebhookDeliveryRepository,
  type WebhookRepository,
  type WebhookSubscription,
} from '@laas/core';
import { type Kysely, type RawBuilder, sql } from 'kysely';
import { auditRepository } from './audit-repository.js';
import { translated } from './errors.js';
import * as m from './mapping.js';
import { referralRepository } from './referral-repository.js';
import { refundRepository } from './refund-repository.js';
import { reminderRepository } from './reminder-repository.js';
import type { PgDatabase } from './schema.js';
import { sharedMerchantRepository } from './shared-channel-repository.js';
import { tierRepository } from './tier-repository.js';
import { ussdRepository } from './ussd-repository.js';
import { whatsappRepository } from './whatsapp-repository.js';

/**
 * The repositories of one transaction. `db` is bound to the transaction's single connection, on
 * which `laas.tenant_id` is set (row-level security); every query below also filters by
 * `tenant_id` explicitly, so isolation holds twice.
 */
export interface TxContext {
  db: Kysely<PgDatabase>;
  tenantId: string;
  /** The schema name (unquoted), for the raw SQL statements. */
  schema: string;
}

export function createTx(ctx: TxContext): Tx {
  return {
    tenantId: ctx.tenantId,
    tenants: tenantRepository(ctx),
    customers: customerRepository(ctx),
    events: eventRepository(ctx),
    rules: ruleRepository(ctx),
    rewards: rewardRepository(ctx),
    codes: codePoolRepository(ctx),
    issuances: issuanceRepository(ctx),
    budgets: budgetRepository(ctx),
    points: pointsRepository(ctx),
    campaigns: campaignRepository(ctx),
    caps: capRepository(ctx),
    webhooks: webhookRepository(ctx),
    outbox: outboxRepository(ctx),
    deliveries: deliveryRepository(ctx),
    apiKeys: apiKeyRepository(ctx),
    idempotency: idempotencyRepository(ctx),
    ussd: ussdRepository(ctx),
    whatsapp: whatsappRepository(ctx),
    referrals: referralRepository(ctx),
    analytics: analyticsRepository(ctx),
    refunds: refundRepository(ctx),
    audit: auditRepository(ctx),
    reminders: reminderRepository(ctx),
    sharedChannels: sharedMerchantRepository(ctx),
    tiers: tierRepository(ctx),
  };
}

// ---- helpers -----------------------------------------------------------------------------------

/** A schema-qualified table for raw SQL. */
function table(ctx: TxContext, name: keyof PgDatabase): RawBuilder<unknown> {
  return sql.table(`${ctx.schema}.${name}`);
}

/** Refuses a row of another tenant before the database's WITH CHECK policy would. */
function ownRow(ctx: TxContext, tenantId: string, entity: string): void {
  if (tenantId !== ctx.tenantId) throw new ForeignTenantRowError(entity, tenantId, ctx.tenantId);
}

/** Ids are uuid columns: a string that is not a UUID names no row (rather than failing the query). */
function validId(id: string | null | undefined): id is string {
  return typeof id === 'string' && isUuid(id);
}

function pageAfter(page: PageRequest): string | undefined {
  const after = decodeCursor(page.cursor);
  return after;
}

/**
 * Newest-first keyset pagination by id: `query(after, limit + 1)` must return rows with
 * `id < after` by id descending; the extra row tells whether there is a next page.
 */
async function paginate<R extends { id: string }, T>(
  page: PageRequest,
  query: (after: string | undefined, limit: number) => Promise<R[]>,
  map: (row: R) => T,
): Promise<Page<T>> {
  const limit = pageLimit(page);
  const rows = await query(pageAfter(page), limit + 1);
  const more = rows.length > limit;
  const items = (more ? rows.slice(0, limit) : rows).map(map);
  const last = more ? rows[limit - 1] : undefined;
  return { items, next_cursor: last === undefined ? null : encodeCursor(last.id) };
}

/** Runs `fn` inside a savepoint, so that a failed statement does not abort the whole transaction. */
async function inSavepoint<T>(ctx: TxContext, fn: () => Promise<T>): Promise<T> {
  await sql`SAVEPOINT laas_sp`.execute(ctx.db);
  try {
    const result = await fn();
    await sql`RELEASE SAVEPOINT laas_sp`.execute(ctx.db);
    return result;
  } catch (error) {
    await sql`ROLLBACK TO SAVEPOINT laas_sp`.execute(ctx.db);
    await sql`RELEASE SAVEPOINT laas_sp`.execute(ctx.db);
    throw error;
  }
}

// ---- tenants -----------------------------------------------------------------------------------

function tenantRepository(ctx: TxContext): TenantRepository {
  return {
    async insert(tenant: Tenant) {
      ownRow(ctx, tenant.id, 'tenant');
      const rows = await translated(() =>
        ctx.db
          .insertInto('tenants')
          .values(m.fromTenant(tenant))
          .onConflict((oc) => oc.doNothing())
          .returning('id')
          .execute(),
      );
      if (rows.length === 0) throw new UniqueViolationError('tenant', 'id', tenant.id);
    },
    async get() {
      const row = await ctx.db
        .selectFrom('tenants')
        .selectAll()
        .where('id', '=', ctx.tenantId)
        .executeTakeFirst();
      return row ? m.toTenant(row) : null;
    },
    async update(tenant: Tenant) {
      // Another tenant's row is simply not found (as with every update below).
      if (tenant.id !== ctx.tenantId) return;
      const { id: _id, created_at: _created, ...values } = m.fromTenant(tenant);
      await ctx.db.updateTable('tenants').set(values).where('id', '=', ctx.tenantId).execute();
    },
  };
}

// ---- customers ---------------------------------------------------------------------------------

function customerRepository(ctx: TxContext): CustomerRepository {
  const byId = (id: string) =>
    ctx.db.selectFrom('customers').selectAll().where('tenant_id', '=', ctx.tenantId).where('id', '=', id);

  /** After an `ON CONFLICT DO NOTHING` that inserted nothing: which unique value was taken. */
  async function takenField(customer: Customer): Promise<'phone' | 'external_ref' | 'id'> {
    const row = await ctx.db
      .selectFrom('customers')
      .select(['id', 'phone', 'external_ref'])
      .where('tenant_id', '=', ctx.tenantId)
      .where((eb) =>
        eb.or([
          eb('id', '=', customer.id),
          ...(customer.phone === null ? [] : [eb('phone', '=', customer.phone)]),
          ...(customer.external_ref === null ? [] : [eb('external_ref', '=', customer.external_ref)]),
        ]),
      )
      .execute();
    if (customer.phone !== null && row.some((r) => r.phone === customer.phone)) return 'phone';
    if (customer.external_ref !== null && row.some((r) => r.external_ref === customer.external_ref)) {
      return 'external_ref';
    }
    return 'id';
  }

  return {
    async insert(customer) {
      ownRow(ctx, customer.tenant_id, 'customer');
      // ON CONFLICT DO NOTHING rather than catching 23505: the transaction stays usable, and a
      // concurrent insert of the same phone is waited for (then seen here, committed).
      const rows = await translated(() =>
        ctx.db
          .insertInto('customers')
          .values(m.fromCustomer(customer))
          .onConflict((oc) => oc.doNothing())
          .returning('id')
          .execute(),
      );
      if (rows.length === 0) {
        const field = await takenField(customer);
        throw new UniqueViolationError(
          'customer',
          field,
          field === 'id' ? customer.id : (customer[field] ?? undefined),
        );
      }
    },
    async get(id) {
      if (!validId(id)) return null;
      const row = await byId(id).executeTakeFirst();
      return row ? m.toCustomer(row) : null;
    },
    async findByExternalRef(externalRef) {
      const row = await ctx.db
        .selectFrom('customers')
        .selectAll()
        .where('tenant_id', '=', ctx.tenantId)
        .where('external_ref', '=', externalRef)
        .executeTakeFirst();
      return row ? m.toCustomer(row) : null;
    },
    async findByPhone(phone) {
      const row = await ctx.db
        .selectFrom('customers')
        .selectAll()
        .where('tenant_id', '=', ctx.tenantId)
        .where('phone', '=', phone)
        .executeTakeFirst();
      return row ? m.toCustomer(row) : null;
    },
    async lock(id) {
      if (!validId(id)) return null;
      const row = await byId(id).forUpdate().executeTakeFirst();
      return row ? m.toCustomer(row) : null;
    },
    async updateProfile(customer) {
      // A phone or ref taken by another customer fails the UPDATE; the savepoint keeps the
      // transaction usable after the UniqueViolationError.
      await inSavepoint(ctx, () =>
        translated(() =>
          ctx.db
            .updateTable('customers')
            .set(m.customerProfile(customer))
            .where('tenant_id', '=', ctx.tenantId)
            .where('id', '=', customer.id)
            .execute(),
        ),
      );
    },
    async recordEvent(id, type, spend, at) {
      const { rows } = await sql<m.CustomerRow>`
        UPDATE ${table(ctx, 'customers')}
        SET stats_counts = jsonb_set(
              stats_counts, ARRAY[${type}::text],
              to_jsonb(coalesce((stats_counts ->> ${type}::text)::bigint, 0) + 1)),
            total_spend = total_spend + ${spend}::bigint,
            last_event_at = greatest(last_event_at, ${at}::timestamptz)
        WHERE tenant_id = ${ctx.tenantId} AND id = ${id}
        RETURNING *`.execute(ctx.db);
      const row = rows[0];
      if (!row) throw new NotFoundError('customer', id);
      return m.toCustomer(row);
    },
    async adjustPointsBalance(id, delta) {
      const { rows } = await sql<{ points_balance: string }>`
        UPDATE ${table(ctx, 'customers')}
        SET points_balance = points_balance + ${delta}::bigint
        WHERE tenant_id = ${ctx.tenantId} AND id = ${id} AND points_balance + ${delta}::bigint >= 0
        RETURNING points_balance`.execute(ctx.db);
      const row = rows[0];
      return row ? m.int(row.points_balance) : null;
    },
    async list(filter: CustomerListFilter, page) {
      return paginate(
        page,
        (after, limit) => {
          let q = ctx.db.selectFrom('customers').selectAll().where('tenant_id', '=', ctx.tenantId);
          if (filter.status !== undefined) q = q.where('status', '=', filter.status);
          if (filter.tag !== undefined) q = q.where(sql<boolean>`tags @> ${m.json([filter.tag])}::jsonb`);
          if (filter.q !== undefined) {
            // customerMatchesSearch in SQL: every character of q matches itself (LIKE escaped).
            const digits = searchDigits(filter.q);
            const lower = escapeLike(filter.q.toLowerCase());
            q = q.where(
              sql<boolean>`(${digits === null ? sql`false` : sql`coalesce(phone, '') LIKE ${`%${digits}%`}`}
                OR lower(coalesce(external_ref, '')) LIKE ${`${lower}%`} ESCAPE ${'\\'}
                OR lower(coalesce(name, '')) LIKE ${`%${lower}%`} ESCAPE ${'\\'})`,
            );
          }
          if (after !== undefined) q = q.where('id', '<', after);
          return q.orderBy('id', 'desc').limit(limit).execute();
        },
        m.toCustomer,
      );
    },
    async listBirthdays(monthDay, page) {
      return paginate(
        page,
        (after, limit) => {
          // `substr(birthday, 6)` is the expression of customers_birthday_idx.
          let q = ctx.db
            .selectFrom('customers')
            .selectAll()
            .where('tenant_id', '=', ctx.tenantId)
            .where('status', '=', 'active')
            .where('birthday', 'is not', null)
            .where(sql<boolean>`substr(birthday, 6) = ${monthDay}`);
          if (after !== undefined) q = q.where('id', '<', after);
          return q.orderBy('id', 'desc').limit(limit).execute();
        },
        m.toCustomer,
      );
    },
    async listInactive(before, page) {
      return paginate(
        page,
        (after, limit) => {
          let q = ctx.db
            .selectFrom('customers')
            .selectAll()
            .where('tenant_id', '=', ctx.tenantId)
            .where('status', '=', 'active')
            .where(
              sql<boolean>`(last_event_at < ${before}::timestamptz OR (last_event_at IS NULL AND enrolled_at < ${before}::timestamptz))`,
            );
          if (after !== undefined) q = q.where('id', '<', after);
          return q.orderBy('id', 'desc').limit(limit).execute();
        },
        m.toCustomer,
      );
    },
  };
}

// ---- events ------------------------------------------------------------------------------------

function eventRepository(ctx: TxContext): EventRepository {
  return {
    async findByIdempotencyKey(key) {
      const row = await ctx.db
        .selectFrom('events')
        .selectAll()
        .where('tenant_id', '=', ctx.tenantId)
        .where('idempotency_key', '=', key)
        .executeTakeFirst();
      return row ? m.toEvent(row) : null;
    },
    async insert(event: LoyaltyEvent) {
      ownRow(ctx, event.tenant_id, 'event');
      // A concurrent transaction inserting the same key makes this statement wait on the unique
      // index; once it commits, nothing is inserted here and the key is reported as taken.
      const rows = await translated(() =>
        ctx.db
          .insertInto('events')
          .values(m.fromEvent(event))
          .onConflict((oc) => oc.doNothing())
          .returning('id')
          .execute(),
      );
      if (rows.length === 0) {
        const byKey = await ctx.db
          .selectFrom('events')
          .select('id')
          .where('tenant_id', '=', ctx.tenantId)
          .where('idempotency_key', '=', event.idempotency_key)
          .executeTakeFirst();
        if (byKey !== undefined || !(await this.get(event.id))) {
          throw new UniqueViolationError('event', 'idempotency_key', event.idempotency_key);
        }
        throw new UniqueViolationError('event', 'id', event.id);
      }
    },
    async setOutcome(id, outcome: EventOutcome) {
      await ctx.db
        .updateTable('events')
        .set({ outcome: m.json(outcome) })
        .where('tenant_id', '=', ctx.tenantId)
        .where('id', '=', id)
        .execute();
    },
    async get(id) {
      if (!validId(id)) return null;
      const row = await ctx.db
        .selectFrom('events')
        .selectAll()
        .where('tenant_id', '=', ctx.tenantId)
        .where('id', '=', id)
        .executeTakeFirst();
      return row ? m.toEvent(row) : null;
    },
    async list(filter: EventListFilter, page) {
      return paginate(
        page,
        (after, limit) => {
          let q = ctx.db.selectFrom('events').selectAll().where('tenant_id', '=', ctx.tenantId);
          if (filter.customer_id !== undefined) {
            if (!validId(filter.customer_id)) return Promise.resolve([]);
            q = q.where('customer_id', '=', filter.customer_id);
          }
          if (filter.type !== undefined) q = q.where('type', '=', filter.type);
          if (after !== undefined) q = q.where('id', '<', after);
          return q.orderBy('id', 'desc').limit(limit).execute();
        },
        m.toEvent,
      );
    },
  };
}

// ---- rules -------------------------------------------------------------------------------------

function ruleRepository(ctx: TxContext): RuleRepository {
  return {
    async insert(rule: Rule) {
      ownRow(ctx, rule.tenant_id, 'rule');
      await translated(() => ctx.db.insertInto('rules').values(m.fromRule(rule)).execute());
    },
    async get(id) {
      if (!validId(id)) return null;
      const row = await ctx.db
        .selectFrom('rules')
        .selectAll()
        .where('tenant_id', '=', ctx.tenantId)
        .where('id', '=', id)
        .executeTakeFirst();
      return row ? m.toRule(row) : null;
    },
    async update(rule, expectedVersion) {
      const { tenant_id: _t, id: _id, created_at: _c, ...values } = m.fromRule(rule);
      const result = await ctx.db
        .updateTable('rules')
        .set(values)
        .where('tenant_id', '=', ctx.tenantId)
        .where('id', '=', rule.id)
        .where('version', '=', expectedVersion)
        .executeTakeFirst();
      return result.numUpdatedRows > 0n;
    },
    async delete(id) {
      if (!validId(id)) return false;
      const result = await ctx.db
        .deleteFrom('rules')
        .where('tenant_id', '=', ctx.tenantId)
        .where('id', '=', id)
        .executeTakeFirst();
      return result.numDeletedRows > 0n;
    },
    async list(page) {
      return paginate(
        page,
        (after, limit) => {
          let q = ctx.db.selectFrom('rules').selectAll().where('tenant_id', '=', ctx.tenantId);
          if (after !== undefined) q = q.where('id', '<', after);
          return q.orderBy('id', 'desc').limit(limit).execute();
        },
        m.toRule,
      );
    },
    async listActiveForEventType(type) {
      const rows = await ctx.db
        .selectFrom('rules')
        .selectAll()
        .where('tenant_id', '=', ctx.tenantId)
        .where('active', '=', true)
        .where(sql<boolean>`event_types @> ${m.json([type])}::jsonb`)
        .orderBy('priority', 'asc')
        .orderBy('id', 'asc')
        .execute();
      return rows.map(m.toRule);
    },
    async version() {
      const row = await ctx.db
        .selectFrom('rules')
        .select(sql<string | null>`string_agg(id::text || ':' || version::text, ',' ORDER BY id)`.as('v'))
        .where('tenant_id', '=', ctx.tenantId)
        .executeTakeFirst();
      return row?.v ?? '';
    },
  };
}

// ---- rewards and code pools --------------------------------------------------------------------

function rewardRepository(ctx: TxContext): RewardRepository {
  return {
    async insert(reward: Reward) {
      ownRow(ctx, reward.tenant_id, 'reward');
      await translated(() => ctx.db.insertInto('rewards').values(m.fromReward(reward)).execute());
    },
    async get(id) {
      if (!validId(id)) return null;
      const row = await ctx.db
        .selectFrom('rewards')
        .selectAll()
        .where('tenant_id', '=', ctx.tenantId)
        .where('id', '=', id)
        .executeTakeFirst();
      return row ? m.toReward(row) : null;
    },
    async update(reward) {
      const { tenant_id: _t, id: _id, created_at: _c, ...values } = m.fromReward(reward);
      await ctx.db
        .updateTable('rewards')
        .set(values)
        .where('tenant_id', '=', ctx.tenantId)
        .where('id', '=', reward.id)
        .execute();
    },
    async list(page) {
      return paginate(
        page,
        (after, limit) => {
          let q = ctx.db.selectFrom('rewards').selectAll().where('tenant_id', '=', ctx.tenantId);
          if (after !== undefined) q = q.where('id', '<', after);
          return q.orderBy('id', 'desc').limit(limit).execute();
        },
        m.toReward,
      );
    },
  };
}

function codePoolRepository(ctx: TxContext): CodePoolRepository {
  return {
    async find(code) {
      const { rows } = await sql<{ reward_id: string; issuance_id: string | null }>`
        SELECT reward_id::text AS reward_id, issuance_id::text AS issuance_id
        FROM ${table(ctx, 'reward_codes')}
        WHERE tenant_id = ${ctx.tenantId}::uuid AND code = ${code}
        ORDER BY reward_id`.execute(ctx.db);
      return rows;
    },
    async add(rewardId, codes, at) {
      if (codes.length === 0) return { added: 0, duplicates: [] };
      const { rows } = await sql<{ code: string }>`
        INSERT INTO ${table(ctx, 'reward_codes')} (tenant_id, reward_id, code, added_at)
        SELECT ${ctx.tenantId}::uuid, ${rewardId}::uuid, c, ${at}::timestamptz
        FROM unnest(${codes}::text[]) AS c
        ON CONFLICT DO NOTHING
        RETURNING code`.execute(ctx.db);
      const inserted = new Set(rows.map((r) => r.code));
      const duplicates: string[] = [];
      for (const code of codes) {
        if (inserted.has(code)) inserted.delete(code);
        else duplicates.push(code);
      }
      return { added: rows.length, duplicates };
    },
    async draw(rewardId, issuanceId) {
      // SKIP LOCKED: concurrent draws take different free codes instead of queueing on one; the
      // row lock held until commit means a code is handed to at most one issuance.
      const codes = table(ctx, 'reward_codes');
      const { rows } = await sql<{ code: string }>`
        UPDATE ${codes} SET issuance_id = ${issuanceId}::uuid
        WHERE (tenant_id, reward_id, code) = (
          SELECT tenant_id, reward_id, code FROM ${codes}
          WHERE tenant_id = ${ctx.tenantId}::uuid AND reward_id = ${rewardId}::uuid AND issuance_id IS NULL
          ORDER BY code
          LIMIT 1
          FOR UPDATE SKIP LOCKED)
        RETURNING code`.execute(ctx.db);
      return rows[0]?.code ?? null;
    },
    async counts(rewardId) {
      if (!validId(rewardId)) return { available: 0, used: 0 };
      const { rows } = await sql<{ available: string; used: string }>`
        SELECT count(*) FILTER (WHERE issuance_id IS NULL) AS available,
               count(*) FILTER (WHERE issuance_id IS NOT NULL) AS used
        FROM ${table(ctx, 'reward_codes')}
        WHERE tenant_id = ${ctx.tenantId}::uuid AND reward_id = ${rewardId}::uuid`.execute(ctx.db);
      const row = rows[0];
      return { available: m.int(row?.available ?? 0), used: m.int(row?.used ?? 0) };
    },
    async release(rewardId, code) {
      await ctx.db
        .updateTable('reward_codes')
        .set({ issuance_id: null })
        .where('tenant_id', '=', ctx.tenantId)
        .where('reward_id', '=', rewardId)
        .where('code', '=', code)
        .execute();
    },
  };
}

// ---- issuances ---------------------------------------------------------------------------------

function issuanceRepository(ctx: TxContext): IssuanceRepository {
  return {
    async insert(issuance: Issuance) {
      ownRow(ctx, issuance.tenant_id, 'issuance');
      await translated(() => ctx.db.insertInto('issuances').values(m.fromIssuance(issuance)).execute());
    },
    async get(id) {
      if (!validId(id)) return null;
      const row = await ctx.db
        .selectFrom('issuances')
        .selectAll()
        .where('tenant_id', '=', ctx.tenantId)
        .where('id', '=', id)
        .executeTakeFirst();
      return row ? m.toIssuance(row) : null;
    },
    async getByCode(code) {
      const row = await ctx.db
        .selectFrom('issuances')
        .selectAll()
        .where('tenant_id', '=', ctx.tenantId)
        .where('code', '=', code)
        .orderBy('id', 'desc')
        .limit(1)
        .executeTakeFirst();
      return row ? m.toIssuance(row) : null;
    },
    async transition(next, from: IssuanceState) {
      const { tenant_id: _t, id: _id, created_at: _c, ...values } = m.fromIssuance(next);
      // Compare-and-set: the WHERE re-checks the state on the latest row version (READ COMMITTED
      // waits for a concurrent writer, then re-evaluates), so exactly one of two racers wins.
      const row = await ctx.db
        .updateTable('issuances')
        .set(values)
        .where('tenant_id', '=', ctx.tenantId)
        .where('id', '=', next.id)
        .where('state', '=', from)
        .returningAll()
        .executeTakeFirst();
      return row ? m.toIssuance(row) : null;
    },
    async list(filter: IssuanceListFilter, page) {
      return paginate(
        page,
        (after, limit) => {
          let q = ctx.db.selectFrom('issuances').selectAll().where('tenant_id', '=', ctx.tenantId);
          if (filter.customer_id !== undefined) {
            if (!validId(filter.customer_id)) return Promise.resolve([]);
            q = q.where('customer_id', '=', filter.customer_id);
          }
          if (filter.rule_id !== undefined) {
            if (!validId(filter.rule_id)) return Promise.resolve([]);
            q = q.where('rule_id', '=', filter.rule_id);
          }
          if (filter.reward_id !== undefined) {
            if (!validId(filter.reward_id)) return Promise.resolve([]);
            q = q.where('reward_id', '=', filter.reward_id);
          }
          if (filter.state !== undefined) q = q.where('state', '=', filter.state);
          if (after !== undefined) q = q.where('id', '<', after);
          return q.orderBy('id', 'desc').limit(limit).execute();
        },
        m.toIssuance,
      );
    },
    async countEarned(ruleId, customerId, since) {
      let q = ctx.db
        .selectFrom('issuances')
        .select((eb) => eb.fn.countAll<string>().as('n'))
        .where('tenant_id', '=', ctx.tenantId)
        .where('rule_id', '=', ruleId);
      if (customerId !== null) q = q.where('customer_id', '=', customerId);
      if (since !== null) q = q.where('earned_at', '>=', new Date(since));
      const row = await q.executeTakeFirstOrThrow();
      return m.int(row.n);
    },
    async lastEarnedAt(ruleId, customerId) {
      const row = await ctx.db
        .selectFrom('issuances')
        .select((eb) => eb.fn.max('earned_at').as('last'))
        .where('tenant_id', '=', ctx.tenantId)
        .where('rule_id', '=', ruleId)
        .where('customer_id', '=', customerId)
        .executeTakeFirst();
      return row?.last ? m.ts(row.last) : null;
    },
    async listDue(now, limit) {
      // Oldest due first (by the instant it fell due); rows another worker holds are skipped.
      const { rows } = await sql<m.IssuanceRow>`
        SELECT * FROM ${table(ctx, 'issuances')}
        WHERE tenant_id = ${ctx.tenantId}::uuid
          AND ((state = 'issued' AND expires_at <= ${now}::timestamptz)
            OR (state = 'reserved' AND reserve_deadline <= ${now}::timestamptz))
        ORDER BY CASE WHEN state = 'issued' THEN expires_at ELSE reserve_deadline END, id
        LIMIT ${Math.max(0, Math.trunc(limit))}
        FOR UPDATE SKIP LOCKED`.execute(ctx.db);
      return rows.map(m.toIssuance);
    },
  };
}

// ---- budgets -----------------------------------------------------------------------------------

const COUNTERS: ReadonlySet<string> = new Set<BudgetCounter>(['reserved', 'utilized', 'spent']);

function budgetRepository(ctx: TxContext): BudgetRepository {
  const periods = () => table(ctx, 'budget_periods');
  const createPeriod = (budgetId: string, period: string, limit: number) =>
    sql`
      INSERT INTO ${periods()} (tenant_id, budget_id, period, "limit")
      VALUES (${ctx.tenantId}::uuid, ${budgetId}::uuid, ${period}, ${limit}::bigint)
      ON CONFLICT DO NOTHING`.execute(ctx.db);

  return {
    async insert(budget: Budget) {
      ownRow(ctx, budget.tenant_id, 'budget');
      await translated(() => ctx.db.insertInto('budgets').values(m.fromBudget(budget)).execute());
    },
    async get(id) {
      if (!validId(id)) return null;
      const row = await ctx.db
        .selectFrom('budgets')
        .selectAll()
        .where('tenant_id', '=', ctx.tenantId)
        .where('id', '=', id)
        .executeTakeFirst();
      return row ? m.toBudget(row) : null;
    },
    async update(budget) {
      const { tenant_id: _t, id: _id, created_at: _c, ...values } = m.fromBudget(budget);
      await ctx.db
        .updateTable('budgets')
        .set(values)
        .where('tenant_id', '=', ctx.tenantId)
        .where('id', '=', budget.id)
        .execute();
    },
    async list(page) {
      return paginate(
        page,
        (after, limit) => {
          let q = ctx.db.selectFrom('budgets').selectAll().where('tenant_id', '=', ctx.tenantId);
          if (after !== undefined) q = q.where('id', '<', after);
          return q.orderBy('id', 'desc').limit(limit).execute();
        },
        m.toBudget,
      );
    },
    async getPeriod(budgetId, period) {
      if (!validId(budgetId)) return null;
      const row = await ctx.db
        .selectFrom('budget_periods')
        .selectAll()
        .where('tenant_id', '=', ctx.tenantId)
        .where('budget_id', '=', budgetId)
        .where('period', '=', period)
        .executeTakeFirst();
      return row ? m.toBudgetPeriod(row) : null;
    },
    async listPeriods(budgetId) {
      if (!validId(budgetId)) return [];
      const rows = await ctx.db
        .selectFrom('budget_periods')
        .selectAll()
        .where('tenant_id', '=', ctx.tenantId)
        .where('budget_id', '=', budgetId)
        .orderBy('period', 'desc')
        .execute();
      return rows.map(m.toBudgetPeriod);
    },
    async reserve(r: BudgetReservation) {
      await createPeriod(r.budgetId, r.period, r.defaultLimit);
      // The guard and the increment are one statement: a concurrent reserve of the same period
      // waits for the row lock and then re-evaluates the WHERE on the row it committed.
      const { rows } = await sql<m.BudgetPeriodRow>`
        UPDATE ${periods()} SET reserved = reserved + ${r.amount}::bigint
        WHERE tenant_id = ${ctx.tenantId}::uuid AND budget_id = ${r.budgetId}::uuid AND period = ${r.period}
          AND (NOT ${r.hardCap}::boolean OR reserved + utilized + spent + ${r.amount}::bigint <= "limit")
        RETURNING *`.execute(ctx.db);
      const row = rows[0];
      return row ? m.toBudgetPeriod(row) : null;
    },
    async move(budgetId, period, from, to, amount) {
      if (!COUNTERS.has(from) || (to !== null && !COUNTERS.has(to)) || from === to) {
        throw new Error(`invalid budget move ${from} → ${String(to)}`);
      }
      const fromCol = sql.ref(from);
      const set =
        to === null
          ? sql`${fromCol} = ${fromCol} - ${amount}::bigint`
          : sql`${fromCol} = ${fromCol} - ${amount}::bigint, ${sql.ref(to)} = ${sql.ref(to)} + ${amount}::bigint`;
      const { rows } = await sql<m.BudgetPeriodRow>`
        UPDATE ${periods()} SET ${set}
        WHERE tenant_id = ${ctx.tenantId}::uuid AND budget_id = ${budgetId}::uuid AND period = ${period}
          AND ${fromCol} >= ${amount}::bigint
        RETURNING *`.execute(ctx.db);
      const row = rows[0];
      if (!row) {
        const current = await this.getPeriod(budgetId, period);
        if (!current) throw new NotFoundError('budget period', `${budgetId}/${period}`);
        throw new StateConflictError(
          `Budget period ${period} holds ${current[from]} in ${from}, less than the ${amount} to move`,
          { budget_id: budgetId, period, counter: from, amount },
        );
      }
      return m.toBudgetPeriod(row);
    },
    async topUp(budgetId, period, defaultLimit, amount) {
      const { rows } = await sql<m.BudgetPeriodRow>`
        INSERT INTO ${periods()} AS p (tenant_id, budget_id, period, "limit")
        VALUES (${ctx.tenantId}::uuid, ${budgetId}::uuid, ${period}, ${defaultLimit}::bigint + ${amount}::bigint)
        ON CONFLICT (tenant_id, budget_id, period) DO UPDATE SET "limit" = p."limit" + ${amount}::bigint
        RETURNING *`.execute(ctx.db);
      return m.toBudgetPeriod(rows[0]!);
    },
    async markNotified(budgetId, period, kind) {
      const column = sql.ref(kind === 'threshold' ? 'threshold_notified' : 'exhausted_notified');
      const { rows } = await sql`
        UPDATE ${periods()} SET ${column} = true
        WHERE tenant_id = ${ctx.tenantId}::uuid AND budget_id = ${budgetId}::uuid AND period = ${period}
          AND NOT ${column}
        RETURNING 1`.execute(ctx.db);
      return rows.length === 1;
    },
    async appendLedger(entry: BudgetLedgerEntry) {
      ownRow(ctx, entry.tenant_id, 'budget ledger entry');
      await translated(() =>
        ctx.db.insertInto('budget_ledger').values(m.fromBudgetLedgerEntry(entry)).execute(),
      );
    },
    async listLedger(budgetId, period, page) {
      return paginate(
        page,
        (after, limit) => {
          if (!validId(budgetId)) return Promise.resolve([]);
          let q = ctx.db
            .selectFrom('budget_ledger')
            .selectAll()
            .where('tenant_id', '=', ctx.tenantId)
            .where('budget_id', '=', budgetId);
          if (period !== null) q = q.where('period', '=', period);
          if (after !== undefined) q = q.where('id', '<', after);
          return q.orderBy('id', 'desc').limit(limit).execute();
        },
        m.toBudgetLedgerEntry,
      );
    },
  };
}

// ---- points ------------------------------------------------------------------------------------

function pointsRepository(ctx: TxContext): PointsRepository {
  return {
    async insertLot(lot: PointsLot) {
      ownRow(ctx, lot.tenant_id, 'points lot');
      await translated(() => ctx.db.insertInto('points_lots').values(m.fromPointsLot(lot)).execute());
    },
    async consumeLots(customerId, amount) {
      if (amount <= 0) return [];
      // Lock the customer's open lots, those expiring first, then take from them in order.
      const { rows } = await sql<{ id: string; remaining: string }>`
        SELECT id, remaining FROM ${table(ctx, 'points_lots')}
        WHERE tenant_id = ${ctx.tenantId}::uuid AND customer_id = ${customerId}::uuid AND remaining > 0
        ORDER BY expires_at ASC NULLS LAST, earned_at ASC, id ASC
        FOR UPDATE`.execute(ctx.db);
      const taken: Array<{ lot_id: string; amount: number }> = [];
      let left = amount;
      for (const row of rows) {
        if (left === 0) break;
        const take = Math.min(left, m.int(row.remaining));
        taken.push({ lot_id: row.id, amount: take });
        left -= take;
      }
      if (left > 0) {
        throw new StateConflictError(
          `The customer's points lots hold ${amount - left}, less than ${amount}`,
          {
            customer_id: customerId,
            amount,
          },
        );
      }
      await sql`
        UPDATE ${table(ctx, 'points_lots')} AS l SET remaining = l.remaining - t.take
        FROM unnest(${taken.map((t) => t.lot_id)}::uuid[], ${taken.map((t) => t.amount)}::bigint[]) AS t(id, take)
        WHERE l.tenant_id = ${ctx.tenantId}::uuid AND l.id = t.id`.execute(ctx.db);
      return taken;
    },
    async listDueLots(now, limit) {
      const { rows } = await sql<m.PointsLotRow>`
        SELECT * FROM ${table(ctx, 'points_lots')}
        WHERE tenant_id = ${ctx.tenantId}::uuid AND remaining > 0 AND expires_at <= ${now}::timestamptz
        ORDER BY expires_at, id
        LIMIT ${Math.max(0, Math.trunc(limit))}
        FOR UPDATE SKIP LOCKED`.execute(ctx.db);
      return rows.map(m.toPointsLot);
    },
    async expireLot(lotId) {
      if (!validId(lotId)) return 0;
      const lots = table(ctx, 'points_lots');
      const { rows } = await sql<{ remaining: string }>`
        WITH old AS (
          SELECT id, remaining FROM ${lots}
          WHERE tenant_id = ${ctx.tenantId}::uuid AND id = ${lotId}::uuid
          FOR UPDATE)
        UPDATE ${lots} AS l SET remaining = 0 FROM old
        WHERE l.tenant_id = ${ctx.tenantId}::uuid AND l.id = old.id
        RETURNING old.remaining`.execute(ctx.db);
      return rows[0] ? m.int(rows[0].remaining) : 0;
    },
    async listLots(customerId) {
      if (!validId(customerId)) return [];
      const rows = await ctx.db
        .selectFrom('points_lots')
        .selectAll()
        .where('tenant_id', '=', ctx.tenantId)
        .where('customer_id', '=', customerId)
        .orderBy('earned_at', 'asc')
        .orderBy('id', 'asc')
        .execute();
      return rows.map(m.toPointsLot);
    },
    async appendLedger(entry: PointsLedgerEntry) {
      ownRow(ctx, entry.tenant_id, 'points ledger entry');
      await translated(() =>
        ctx.db.insertInto('points_ledger').values(m.fromPointsLedgerEntry(entry)).execute(),
      );
    },
    async listLedger(customerId, page) {
      return paginate(
        page,
        (after, limit) => {
          if (!validId(customerId)) return Promise.resolve([]);
          let q = ctx.db
            .selectFrom('points_ledger')
            .selectAll()
            .where('tenant_id', '=', ctx.tenantId)
            .where('customer_id', '=', customerId);
          if (after !== undefined) q = q.where('id', '<', after);
          return q.orderBy('id', 'desc').limit(limit).execute();
        },
        m.toPointsLedgerEntry,
      );
    },
    async netForIssuance(customerId, issuanceId) {
      if (!validId(customerId) || !validId(issuanceId)) return 0;
      const row = await ctx.db
        .selectFrom('points_ledger')
        .select(sql<string>`coalesce(sum(amount), 0)`.as('net'))
        .where('tenant_id', '=', ctx.tenantId)
        .where('customer_id', '=', customerId)
        .where('issuance_id', '=', issuanceId)
        .executeTakeFirst();
      return m.int(row?.net ?? 0);
    },
  };
}

// ---- campaigns, caps ---------------------------------------------------------------------------

function campaignRepository(ctx: TxContext): CampaignRepository {
  return {
    async insert(campaign: Campaign) {
      ownRow(ctx, campaign.tenant_id, 'campaign');
      await translated(() => ctx.db.insertInto('campaigns').values(m.fromCampaign(campaign)).execute());
    },
    async get(id) {
      if (!validId(id)) return null;
      const row = await ctx.db
        .selectFrom('campaigns')
        .selectAll()
        .where('tenant_id', '=', ctx.tenantId)
        .where('id', '=', id)
        .executeTakeFirst();
      return row ? m.toCampaign(row) : null;
    },
    async update(campaign) {
      const { tenant_id: _t, id: _id, created_at: _c, ...values } = m.fromCampaign(campaign);
      await ctx.db
        .updateTable('campaigns')
        .set(values)
        .where('tenant_id', '=', ctx.tenantId)
        .where('id', '=', campaign.id)
        .execute();
    },
    async list(page) {
      return paginate(
        page,
        (after, limit) => {
          let q = ctx.db.selectFrom('campaigns').selectAll().where('tenant_id', '=', ctx.tenantId);
          if (after !== undefined) q = q.where('id', '<', after);
          return q.orderBy('id', 'desc').limit(limit).execute();
        },
        m.toCampaign,
      );
    },
  };
}

/** The counter row of a claim: calendar windows by key, `lifetime`, and one lock row for rolling. */

function capRepository(ctx: TxContext): CapRepository {
  const counters = () => table(ctx, 'cap_counters');
  const where = (claim: GlobalCapClaim) =>
    sql`tenant_id = ${ctx.tenantId}::uuid AND rule_id = ${claim.ruleId}::uuid
        AND cap_key = ${claim.capKey} AND window_key = ${capWindowKey(claim.window)}`;
  return {
    async claimGlobal(claim) {
      await sql`
        INSERT INTO ${counters()} (tenant_id, rule_id, cap_key, window_key, count)
        VALUES (${ctx.tenantId}::uuid, ${claim.ruleId}::uuid, ${claim.capKey}, ${capWindowKey(claim.window)}, 0)
        ON CONFLICT DO NOTHING`.execute(ctx.db);
      if (claim.window.kind === 'rolling') {
        // Serialise the rule's claimers on the counter row, then count what they committed.
        await sql`SELECT 1 FROM ${counters()} WHERE ${where(claim)} FOR UPDATE`.execute(ctx.db);
        const used = await ctx.db
          .selectFrom('issuances')
          .select((eb) => eb.fn.countAll<string>().as('n'))
          .where('tenant_id', '=', ctx.tenantId)
          .where('rule_id', '=', claim.ruleId)
          .where('earned_at', '>=', new Date(claim.window.since))
          .executeTakeFirstOrThrow();
        return m.int(used.n) < claim.max;
      }
      const { rows } = await sql`
        UPDATE ${counters()} SET count = count + 1
        WHERE ${where(claim)} AND count < ${claim.max}::bigint
        RETURNING count`.execute(ctx.db);
      return rows.length === 1;
    },
    async releaseGlobal(claim) {
      if (claim.window.kind === 'rolling') return;
      await sql`
        UPDATE ${counters()} SET count = count - 1
        WHERE ${where(claim)} AND count > 0`.execute(ctx.db);
    },
  };
}

// ---- webhooks, outbox --------------------------------------------------------------------------

function webhookRepository(ctx: TxContext): WebhookRepository {
  return {
    async insert(subscription: WebhookSubscription) {
      ownRow(ctx, subscription.tenant_id, 'webhook subscription');
      await translated(() =>
        ctx.db.insertInto('webhook_subscriptions').values(m.fromWebhook(subscription)).execute(),
      );
    },
    async get(id) {
      if (!validId(id)) return null;
      const row = await ctx.db
        .selectFrom('webhook_subscriptions')
        .selectAll()
        .where('tenant_id', '=', ctx.tenantId)
        .where('id', '=', id)
        .executeTakeFirst();
      return row ? m.toWebhook(row) : null;
    },
    async update(subscription) {
      const { tenant_id: _t, id: _id, created_at: _c, ...values } = m.fromWebhook(subscription);
      await ctx.db
        .updateTable('webhook_subscriptions')
        .set(values)
        .where('tenant_id', '=', ctx.tenantId)
        .where('id', '=', subscription.id)
        .execute();
    },
    async delete(id) {
      if (!validId(id)) return false;
      const result = await ctx.db
        .deleteFrom('webhook_subscriptions')
        .where('tenant_id', '=', ctx.tenantId)
        .where('id', '=', id)
        .executeTakeFirst();
      return result.numDeletedRows > 0n;
    },
    async list(page) {
      return paginate(
        page,
        (after, limit) => {
          let q = ctx.db
            .selectFrom('webhook_subscriptions')
            .selectAll()
            .where('tenant_id', '=', ctx.tenantId);
          if (after !== undefined) q = q.where('id', '<', after);
          return q.orderBy('id', 'desc').limit(limit).execute();
        },
        m.toWebhook,
      );
    },
    async disable(id, reason, at) {
      if (!validId(id)) return false;
      const result = await ctx.db
        .updateTable('webhook_subscriptions')
        .set({ active: false, disabled_reason: reason, updated_at: at })
        .where('tenant_id', '=', ctx.tenantId)
        .where('id', '=', id)
        .where('active', '=', true)
        .executeTakeFirst();
      return result.numUpdatedRows > 0n;
    },
    async countDelivery(id, failed) {
      if (!validId(id)) return null;
      const row = await ctx.db
        .updateTable('webhook_subscriptions')
        .set({
          failure_count: failed ? sql<number>`failure_count + 1` : 0,
        })
        .where('tenant_id', '=', ctx.tenantId)
        .where('id', '=', id)
        .returning('failure_count')
        .executeTakeFirst();
      return row === undefined ? null : row.failure_count;
    },
  };
}

function outboxRepository(ctx: TxContext): OutboxRepository {
  return {
    async append(event: OutboxEvent) {
      ownRow(ctx, event.tenant_id, 'outbox event');
      await translated(() => ctx.db.insertInto('outbox').values(m.fromOutboxEvent(event)).execute());
    },
    async list(page) {
      return paginate(
        page,
        (after, limit) => {
          let q = ctx.db.selectFrom('outbox').selectAll().where('tenant_id', '=', ctx.tenantId);
          if (after !== undefined) q = q.where('id', '<', after);
          return q.orderBy('id', 'desc').limit(limit).execute();
        },
        m.toOutboxEvent,
      );
    },
    async claimUndispatched(limit) {
      // SKIP LOCKED: concurrent fan-outs take different rows; the caller marks them in this transaction.
      const { rows } = await sql<m.OutboxRow>`
        SELECT * FROM ${table(ctx, 'outbox')}
        WHERE tenant_id = ${ctx.tenantId}::uuid AND dispatched_at IS NULL
        ORDER BY id
        LIMIT ${Math.max(0, Math.trunc(limit))}
        FOR UPDATE SKIP LOCKED`.execute(ctx.db);
      return rows.map(m.toOutboxEvent);
    },
    async markDispatched(ids, at) {
      const valid = ids.filter(validId);
      if (valid.length === 0) return;
      await ctx.db
        .updateTable('outbox')
        .set({ dispatched_at: at })
        .where('tenant_id', '=', ctx.tenantId)
        .where('id', 'in', valid)
        .where('dispatched_at', 'is', null)
        .execute();
    },
  };
}

function deliveryRepository(ctx: TxContext): WebhookDeliveryRepository {
  return {
    async insert(delivery: WebhookDelivery) {
      ownRow(ctx, delivery.tenant_id, 'webhook delivery');
      await translated(() =>
        ctx.db.insertInto('webhook_deliveries').values(m.fromDelivery(delivery)).execute(),
      );
    },
    async get(id) {
      if (!validId(id)) return null;
      const row = await ctx.db
        .selectFrom('webhook_deliveries')
        .selectAll()
        .where('tenant_id', '=', ctx.tenantId)
        .where('id', '=', id)
        .executeTakeFirst();
      return row ? m.toDelivery(row) : null;
    },
    async claimDue(now, limit, leaseMs) {
      // The CTE locks what it picks and skips what another worker is picking; the UPDATE sets the
      // lease, so once committed the rows are invisible to the next claim until it ends. The CTE is
      // MATERIALIZED so the rows are picked exactly once: as `id IN (subquery)` the planner may
      // rescan the subquery for the UPDATE and claim more than `limit` rows.
      const until = new Date(Date.parse(now) + leaseMs).toISOString();
      const deliveries = table(ctx, 'webhook_deliveries');
      const { rows } = await sql<m.DeliveryRow>`
        WITH picked AS MATERIALIZED (
          SELECT id FROM ${deliveries}
          WHERE tenant_id = ${ctx.tenantId}::uuid AND status = 'pending'
            AND next_attempt_at <= ${now}::timestamptz
            AND (locked_until IS NULL OR locked_until < ${now}::timestamptz)
          ORDER BY next_attempt_at, id
          LIMIT ${Math.max(0, Math.trunc(limit))}
          FOR UPDATE SKIP LOCKED)
        UPDATE ${deliveries} AS d SET locked_until = ${until}::timestamptz
        FROM picked
        WHERE d.tenant_id = ${ctx.tenantId}::uuid AND d.id = picked.id
        RETURNING d.*`.execute(ctx.db);
      return rows
        .map(m.toDelivery)
        .sort((a, b) =>
          (a.next_attempt_at ?? '') < (b.next_attempt_at ?? '')
            ? -1
            : (a.next_attempt_at ?? '') > (b.next_attempt_at ?? '')
              ? 1
              : a.id < b.id
                ? -1
                : 1,
        );
    },
    async update(delivery) {
      ownRow(ctx, delivery.tenant_id, 'webhook delivery');
      await ctx.db
        .updateTable('webhook_deliveries')
        .set({
          status: delivery.status,
          attempts: delivery.attempts,
          next_attempt_at: delivery.next_attempt_at,
          locked_until: delivery.locked_until,
          last_status: delivery.last_status,
          last_error: delivery.last_error,
          updated_at: delivery.updated_at,
        })
        .where('tenant_id', '=', ctx.tenantId)
        .where('id', '=', delivery.id)
        .execute();
    },
    async failPending(subscriptionId, reason, at) {
      if (!validId(subscriptionId)) return 0;
      const result = await ctx.db
        .updateTable('webhook_deliveries')
        .set({
          status: 'failed',
          next_attempt_at: null,
          locked_until: null,
          last_error: reason,
          updated_at: at,
        })
        .where('tenant_id', '=', ctx.tenantId)
        .where('subscription_id', '=', subscriptionId)
        .where('status', '=', 'pending')
        .executeTakeFirst();
      return Number(result.numUpdatedRows);
    },
    async listForSubscription(subscriptionId, page) {
      if (!validId(subscriptionId)) return { items: [], next_cursor: null };
      return paginate(
        page,
        (after, limit) => {
          let q = ctx.db
            .selectFrom('webhook_deliveries')
            .selectAll()
            .where('tenant_id', '=', ctx.tenantId)
            .where('subscription_id', '=', subscriptionId);
          if (after !== undefined) q = q.where('id', '<', after);
          return q.orderBy('id', 'desc').limit(limit).execute();
        },
        m.toDelivery,
      );
    },
    async appendAttempt(attempt: WebhookAttempt) {
      ownRow(ctx, attempt.tenant_id, 'webhook attempt');
      await translated(() => ctx.db.insertInto('webhook_attempts').values(m.fromAttempt(attempt)).execute());
    },
    async listAttempts(deliveryIds) {
      const valid = [...new Set(deliveryIds.filter(validId))];
      if (valid.length === 0) return [];
      const rows = await ctx.db
        .selectFrom('webhook_attempts')
        .selectAll()
        .where('tenant_id', '=', ctx.tenantId)
        .where('delivery_id', 'in', valid)
        .orderBy('at')
        .orderBy('id')
        .execute();
      return rows.map(m.toAttempt);
    },
  };
}

// ---- api keys, idempotency ---------------------------------------------------------------------

function apiKeyRepository(ctx: TxContext): ApiKeyRepository {
  return {
    async insert(key: ApiKey) {
      ownRow(ctx, key.tenant_id, 'api key');
      const rows = await translated(() =>
        ctx.db
          .insertInto('api_keys')
          .values(m.fromApiKey(key))
          .onConflict((oc) => oc.doNothing())
          .returning('id')
          .execute(),
      );
      if (rows.length === 0) {
        const byHash = await ctx.db
          .selectFrom('api_keys')
          .select('id')
          .where('tenant_id', '=', ctx.tenantId)
          .where('key_hash', '=', key.key_hash)
          .executeTakeFirst();
        throw new UniqueViolationError('api key', byHash ? 'key_hash' : 'id');
      }
    },
    async get(id) {
      if (!validId(id)) return null;
      const row = await ctx.db
        .selectFrom('api_keys')
        .selectAll()
        .where('tenant_id', '=', ctx.tenantId)
        .where('id', '=', id)
        .executeTakeFirst();
      return row ? m.toApiKey(row) : null;
    },
    async revoke(id, at) {
      if (!validId(id)) return false;
      const result = await ctx.db
        .updateTable('api_keys')
        .set({ revoked_at: at })
        .where('tenant_id', '=', ctx.tenantId)
        .where('id', '=', id)
        .where('revoked_at', 'is', null)
        .executeTakeFirst();
      return result.numUpdatedRows > 0n;
    },
    async list(page) {
      return paginate(
        page,
        (after, limit) => {
          let q = ctx.db.selectFrom('api_keys').selectAll().where('tenant_id', '=', ctx.tenantId);
          if (after !== undefined) q = q.where('id', '<', after);
          return q.orderBy('id', 'desc').limit(limit).execute();
        },
        m.toApiKey,
      );
    },
  };
}

function idempotencyRepository(ctx: TxContext): IdempotencyRepository {
  return {
    async get(key) {
      // Locks the key until the transaction ends, so that concurrent requests with one key run one
      // after the other: the second waits here, then (a fresh snapshot: READ COMMITTED) finds the
      // response the first stored and replays it, instead of running its effects concurrently and
      // failing on whatever unique value those effects collide on (a phone, say).
      await sql`SELECT pg_advisory_xact_lock(hashtext(${ctx.tenantId}), hashtext(${`idempotency:${key}`}))`.execute(
        ctx.db,
      );
      const row = await ctx.db
        .selectFrom('idempotency_keys')
        .selectAll()
        .where('tenant_id', '=', ctx.tenantId)
        .where('key', '=', key)
        .executeTakeFirst();
      return row ? m.toIdempotencyRecord(row) : null;
    },
    async put(record: IdempotencyRecord) {
      ownRow(ctx, record.tenant_id, 'idempotency record');
      const rows = await translated(() =>
        ctx.db
          .insertInto('idempotency_keys')
          .values(m.fromIdempotencyRecord(record))
          .onConflict((oc) => oc.doNothing())
          .returning('key')
          .execute(),
      );
      if (rows.length === 0) throw new UniqueViolationError('idempotency record', 'key', record.key);
    },
    async purge(before) {
      const result = await ctx.db
        .deleteFrom('idempotency_keys')
        .where('tenant_id', '=', ctx.tenantId)
        .where('created_at', '<', new Date(before))
        .executeTakeFirst();
      return Number(result.numDeletedRows);
    },
  };
}

// ---- analytics ---------------------------------------------------------------------------------

/**
 * Aggregates for the console: the buckets are two arrays (`unnest ... WITH ORDINALITY`), and each
 * measure is a correlated `count` or `sum` over one `(tenant_id, <timestamp>)` index range per
 * bucket (migration 0007), so a query reads only the rows inside the range.
 */
function analyticsRepository(ctx: TxContext): AnalyticsRepository {
  const t = ctx.tenantId;
  const bounds = (buckets: readonly { start: string; end: string }[]) => sql`unnest(
      ${buckets.map((b) => b.start)}::timestamptz[], ${buckets.map((b) => b.end)}::timestamptz[]
    ) WITH ORDINALITY AS b(s, e, i)`;
  return {
    async activity(buckets) {
      if (buckets.length === 0) return [];
      const { rows } = await sql<Record<string, string>>`
        SELECT b.i,
          (SELECT count(*) FROM ${table(ctx, 'events')} x
             WHERE x.tenant_id = ${t} AND x.occurred_at >= b.s AND x.occurred_at < b.e) AS events,
          (SELECT count(*) FROM ${table(ctx, 'customers')} x
             WHERE x.tenant_id = ${t} AND x.enrolled_at >= b.s AND x.enrolled_at < b.e) AS enrolments,
          (SELECT count(*) FROM ${table(ctx, 'issuances')} x
             WHERE x.tenant_id = ${t} AND x.created_at >= b.s AND x.created_at < b.e) AS issued,
          (SELECT count(*) FROM ${table(ctx, 'issuances')} x
             WHERE x.tenant_id = ${t} AND x.redeemed_at IS NOT NULL
               AND x.redeemed_at >= b.s AND x.redeemed_at < b.e) AS redeemed,
          (SELECT coalesce(sum(x.amount), 0) FROM ${table(ctx, 'points_ledger')} x
             WHERE x.tenant_id = ${t} AND x.kind = 'earn' AND x.at >= b.s AND x.at < b.e) AS points_earned,
          (SELECT coalesce(-sum(x.amount), 0) FROM ${table(ctx, 'points_ledger')} x
             WHERE x.tenant_id = ${t} AND x.kind = 'redeem' AND x.at >= b.s AND x.at < b.e) AS points_spent,
          (SELECT coalesce(-sum(x.amount), 0) FROM ${table(ctx, 'points_ledger')} x
             WHERE x.tenant_id = ${t} AND x.kind = 'expire' AND x.at >= b.s AND x.at < b.e) AS points_expired
        FROM ${bounds(buckets)}
        ORDER BY b.i`.execute(ctx.db);
      return rows.map((r) => ({
        events: m.int(r.events as string),
        enrolments: m.int(r.enrolments as string),
        issued: m.int(r.issued as string),
        redeemed: m.int(r.redeemed as string),
        points_earned: m.int(r.points_earned as string),
        points_spent: m.int(r.points_spent as string),
        points_expired: m.int(r.points_expired as string),
      }));
    },
    async budgetCharges(buckets) {
      if (buckets.length === 0) return [];
      const { rows } = await sql<{ budget_id: string; bucket: string; amount: string }>`
        SELECT c.budget_id, b.i - 1 AS bucket, c.amount
        FROM ${bounds(buckets)}
        CROSS JOIN LATERAL (
          SELECT l.budget_id, sum(CASE l.kind WHEN 'reserve' THEN l.amount ELSE -l.amount END) AS amount
          FROM ${table(ctx, 'budget_ledger')} l
          WHERE l.tenant_id = ${t} AND l.at >= b.s AND l.at < b.e AND l.kind IN ('reserve', 'release')
          GROUP BY l.budget_id
        ) c
        ORDER BY c.budget_id, b.i`.execute(ctx.db);
      return rows.map((r) => ({ budget_id: r.budget_id, bucket: m.int(r.bucket), amount: m.int(r.amount) }));
    },
    async lastCharge(budgetId, period) {
      if (!validId(budgetId)) return null;
      const { rows } = await sql<{ at: Date | null }>`
        SELECT max(at) AS at FROM ${table(ctx, 'budget_ledger')}
        WHERE tenant_id = ${t} AND budget_id = ${budgetId} AND period = ${period} AND kind = 'reserve'`.execute(
        ctx.db,
      );
      const at = rows[0]?.at ?? null;
      return at === null ? null : m.ts(at);
    },
    async topRules(start, end, limit) {
      const { rows } = await sql<{ rule_id: string; name: string | null; issued: string }>`
        SELECT i.rule_id, r.name, count(*) AS issued
        FROM ${table(ctx, 'issuances')} i
        LEFT JOIN ${table(ctx, 'rules')} r ON r.tenant_id = i.tenant_id AND r.id = i.rule_id
        WHERE i.tenant_id = ${t} AND i.rule_id IS NOT NULL
          AND i.created_at >= ${start}::timestamptz AND i.created_at < ${end}::timestamptz
        GROUP BY i.rule_id, r.name
        ORDER BY issued DESC, coalesce(r.name, '(deleted rule)') COLLATE "C", i.rule_id
        LIMIT ${limit}`.execute(ctx.db);
      return rows.map((r) => ({ rule_id: r.rule_id, name: r.name, issued: m.int(r.issued) }));
    },
    async pointsLiability() {
      const { rows } = await sql<{ total: string }>`
        SELECT coalesce(sum(points_balance), 0) AS total FROM ${table(ctx, 'customers')}
        WHERE tenant_id = ${t}`.execute(ctx.db);
      return m.int(rows[0]?.total ?? 0);
    },
  };
}
