import {
  type Customer,
  type CustomerListFilter,
  type CustomerRepository,
  escapeLike,
  NotFoundError,
  searchDigits,
  UniqueViolationError,
  withEventCounted,
} from '@laas/core';
import { sql } from 'kysely';
import { translated } from '../errors.js';
import * as m from '../mapping.js';
import { defer, inSavepoint, ownRow, paginate, type TxContext, table, validId } from './context.js';

export function customerRepository(ctx: TxContext): CustomerRepository {
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

  const countEvent = (id: string, type: string, spend: number, at: string) => sql`
    UPDATE ${table(ctx, 'customers')}
    SET stats_counts = jsonb_set(
          stats_counts, ARRAY[${type}::text],
          to_jsonb(coalesce((stats_counts ->> ${type}::text)::bigint, 0) + 1)),
        total_spend = total_spend + ${spend}::bigint,
        last_event_at = greatest(last_event_at, ${at}::timestamptz)
    WHERE tenant_id = ${ctx.tenantId} AND id = ${id}`;
  const moveBalance = (id: string, delta: number) => sql`
    UPDATE ${table(ctx, 'customers')}
    SET points_balance = points_balance + ${delta}::bigint
    WHERE tenant_id = ${ctx.tenantId} AND id = ${id} AND points_balance + ${delta}::bigint >= 0`;

  /** A held customer's counters, written whole: one update however many changes came before it. */
  const writeHeld = (customer: Customer) => {
    ctx.held.customers.set(customer.id, customer);
    return defer(
      ctx,
      ctx.db
        .updateTable('customers')
        .set({
          stats_counts: m.json(customer.stats.counts),
          total_spend: customer.stats.total_spend,
          last_event_at: customer.last_event_at,
          points_balance: customer.stats.points_balance,
        })
        .where('tenant_id', '=', ctx.tenantId)
        .where('id', '=', customer.id),
      `customer:${customer.id}`,
    );
  };

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
      // Nobody else sees the row before this transaction commits: as good as locked.
      ctx.held.customers.set(customer.id, customer);
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
      const customer = row ? m.toCustomer(row) : null;
      if (customer !== null) ctx.held.customers.set(id, customer);
      return customer;
    },
    async updateProfile(customer) {
      ctx.held.customers.delete(customer.id);
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
      const locked = ctx.held.customers.get(id);
      if (locked !== undefined) {
        // Locked by this transaction: nobody else changes the row, so its new value is known here
        // and the update (the same arithmetic in SQL) travels with the next statement.
        const after = withEventCounted(locked, type, spend, at);
        await writeHeld(after);
        return after;
      }
      const { rows } = await sql<m.CustomerRow>`${countEvent(id, type, spend, at)} RETURNING *`.execute(
        ctx.db,
      );
      const row = rows[0];
      if (!row) throw new NotFoundError('customer', id);
      return m.toCustomer(row);
    },
    async adjustPointsBalance(id, delta) {
      const locked = ctx.held.customers.get(id);
      if (locked !== undefined) {
        const balance = locked.stats.points_balance + delta;
        if (balance < 0) return null;
        await writeHeld({ ...locked, stats: { ...locked.stats, points_balance: balance } });
        return balance;
      }
      const { rows } = await sql<{
        points_balance: string;
      }>`${moveBalance(id, delta)} RETURNING points_balance`.execute(ctx.db);
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
