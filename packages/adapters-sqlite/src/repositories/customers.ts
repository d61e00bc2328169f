import {
  type Customer,
  type CustomerListFilter,
  type CustomerRepository,
  escapeLike,
  NotFoundError,
  type Page,
  type PageRequest,
  searchDigits,
  type Timestamp,
} from '@laas/core';
import { sql } from 'kysely';
import { customerFromRow, customerToRow } from '../mapping/customer.js';
import { toTs } from '../mapping/helpers.js';
import { defineQuery, markers, p } from '../query.js';
import type { CustomersTable } from '../schema.js';
import { getRow, insertDef, listPage, type Scope } from './scope.js';

const PROFILE = ['phone', 'external_ref', 'name', 'birthday', 'attributes', 'tags', 'status'] as const;

const byExternalRef = defineQuery((db) =>
  db
    .selectFrom('customers')
    .selectAll()
    .where('tenant_id', '=', p('tenant_id'))
    .where('external_ref', '=', p('external_ref')),
);
const byPhone = defineQuery((db) =>
  db
    .selectFrom('customers')
    .selectAll()
    .where('tenant_id', '=', p('tenant_id'))
    .where('phone', '=', p('phone')),
);
const updateProfile = defineQuery((db) =>
  db
    .updateTable('customers')
    .set(markers(PROFILE))
    .where('tenant_id', '=', p('tenant_id'))
    .where('id', '=', p('id')),
);
/** One statement: the type's count (a JSON path), the spend, and last_event_at = max(old, at). */
const recordEvent = defineQuery((db) =>
  db
    .updateTable('customers')
    .set({
      stats_counts: sql<string>`json_set(stats_counts, ${p('path')}, coalesce(json_extract(stats_counts, ${p('path')}), 0) + 1)`,
      total_spend: sql<number>`total_spend + ${p('spend')}`,
      last_event_at: sql<string>`CASE WHEN last_event_at IS NULL OR last_event_at < ${p('at')} THEN ${p('at')} ELSE last_event_at END`,
    })
    .where('tenant_id', '=', p('tenant_id'))
    .where('id', '=', p('id'))
    .returningAll(),
);
/** The same for an event type that a JSON path cannot quote: counts computed by the caller. */
const recordEventCounts = defineQuery((db) =>
  db
    .updateTable('customers')
    .set({
      stats_counts: p('counts'),
      total_spend: sql<number>`total_spend + ${p('spend')}`,
      last_event_at: sql<string>`CASE WHEN last_event_at IS NULL OR last_event_at < ${p('at')} THEN ${p('at')} ELSE last_event_at END`,
    })
    .where('tenant_id', '=', p('tenant_id'))
    .where('id', '=', p('id'))
    .returningAll(),
);
const adjustPoints = defineQuery((db) =>
  db
    .updateTable('customers')
    .set({ points_balance: sql<number>`points_balance + ${p('delta')}` })
    .where('tenant_id', '=', p('tenant_id'))
    .where('id', '=', p('id'))
    .where(sql<boolean>`points_balance + ${p('delta')} >= 0`)
    .returning('points_balance'),
);

const PLAIN_KEY = /^[A-Za-z0-9_.\- :/+@#]*$/;

export class SqliteCustomerRepository implements CustomerRepository {
  constructor(private readonly s: Scope) {}

  async insert(customer: Customer): Promise<void> {
    const row = this.s.own(customerToRow(customer), 'customer');
    this.s.unique('customer', row, () => this.s.r.run(insertDef('customers', row), row));
  }

  async get(id: string): Promise<Customer | null> {
    const row = getRow(this.s, 'customers', id);
    return row === undefined ? null : customerFromRow(row);
  }

  async findByExternalRef(externalRef: string): Promise<Customer | null> {
    const row = this.s.r.get<CustomersTable>(byExternalRef, {
      tenant_id: this.s.tenantId,
      external_ref: externalRef,
    });
    return row === undefined ? null : customerFromRow(row);
  }

  async findByPhone(phone: string): Promise<Customer | null> {
    const row = this.s.r.get<CustomersTable>(byPhone, { tenant_id: this.s.tenantId, phone });
    return row === undefined ? null : customerFromRow(row);
  }

  /**
   * SQLite runs one write transaction at a time (the store's mutex in this process, the database's
   * write lock taken by BEGIN IMMEDIATE across processes), so the row is already ours: a read.
   */
  async lock(id: string): Promise<Customer | null> {
    return this.get(id);
  }

  async updateProfile(customer: Customer): Promise<void> {
    const row = this.s.own(customerToRow(customer), 'customer');
    this.s.unique('customer', row, () => this.s.r.run(updateProfile, row));
  }

  async recordEvent(id: string, type: string, spend: number, at: Timestamp): Promise<Customer> {
    const args = { tenant_id: this.s.tenantId, id, spend, at: toTs(at) };
    let row: CustomersTable | undefined;
    if (PLAIN_KEY.test(type)) {
      row = this.s.r.get<CustomersTable>(recordEvent, { ...args, path: `$."${type}"` });
    } else {
      const before = getRow(this.s, 'customers', id);
      if (before !== undefined) {
        const counts = JSON.parse(before.stats_counts) as Record<string, number>;
        counts[type] = (counts[type] ?? 0) + 1;
        row = this.s.r.get<CustomersTable>(recordEventCounts, { ...args, counts: JSON.stringify(counts) });
      }
    }
    if (row === undefined) throw new NotFoundError('customer', id);
    return customerFromRow(row);
  }

  async adjustPointsBalance(id: string, delta: number): Promise<number | null> {
    const row = this.s.r.get<{ points_balance: number }>(adjustPoints, {
      tenant_id: this.s.tenantId,
      id,
      delta,
    });
    return row === undefined ? null : row.points_balance;
  }

  async list(filter: CustomerListFilter, page: PageRequest): Promise<Page<Customer>> {
    return listPage(this.s, 'customers', page, customerFromRow, (q) => {
      if (filter.status !== undefined) q = q.where('status', '=', filter.status);
      if (filter.tag !== undefined) {
        q = q.where(
          sql<boolean>`EXISTS (SELECT 1 FROM json_each(customers.tags) WHERE value = ${filter.tag})`,
        );
      }
      if (filter.q !== undefined) {
        // customerMatchesSearch in SQL: every character of q matches itself (LIKE escaped).
        const digits = searchDigits(filter.q);
        const lower = escapeLike(filter.q.toLowerCase());
        q = q.where(
          sql<boolean>`(${digits === null ? sql`0` : sql`coalesce(phone, '') LIKE ${`%${digits}%`}`}
            OR lower(coalesce(external_ref, '')) LIKE ${`${lower}%`} ESCAPE ${'\\'}
            OR lower(coalesce(name, '')) LIKE ${`%${lower}%`} ESCAPE ${'\\'})`,
        );
      }
      return q;
    });
  }

  async listBirthdays(monthDay: string, page: PageRequest): Promise<Page<Customer>> {
    return listPage(this.s, 'customers', page, customerFromRow, (q) =>
      q.where('status', '=', 'active').where(sql<boolean>`substr(birthday, 6) = ${monthDay}`),
    );
  }

  async listInactive(before: Timestamp, page: PageRequest): Promise<Page<Customer>> {
    const cutoff = toTs(before);
    return listPage(this.s, 'customers', page, customerFromRow, (q) =>
      q
        .where('status', '=', 'active')
        .where(
          sql<boolean>`(last_event_at < ${cutoff} OR (last_event_at IS NULL AND enrolled_at < ${cutoff}))`,
        ),
    );
  }
}
