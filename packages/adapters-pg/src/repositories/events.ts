import {
  type EventListFilter,
  type EventOutcome,
  type EventRepository,
  type LoyaltyEvent,
  UniqueViolationError,
} from '@laas/core';
import { translated } from '../errors.js';
import * as m from '../mapping.js';
import { ownRow, paginate, type TxContext, validId } from './context.js';

export function eventRepository(ctx: TxContext): EventRepository {
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
