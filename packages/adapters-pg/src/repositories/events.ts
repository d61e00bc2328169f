import type { EventListFilter, EventOutcome, EventRepository, LoyaltyEvent } from '@laas/core';
import * as m from '../mapping.js';
import { defer, ownRow, paginate, sendHeldEvents, type TxContext, validId } from './context.js';

export function eventRepository(ctx: TxContext): EventRepository {
  const insertOf = (event: LoyaltyEvent) => ctx.db.insertInto('events').values(m.fromEvent(event));
  return {
    async findByIdempotencyKey(key) {
      await sendHeldEvents(ctx);
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
      // Sent with the next statement. A key taken, also by a concurrent transaction that commits
      // first (this statement waits on the unique index), fails that statement with a unique
      // violation of events_idempotency_key_key: `UniqueViolationError`, field `idempotency_key`.
      // Kept until its outcome is set (or an event is read, or the transaction commits), so that
      // the event is written once, with its outcome.
      ctx.held.events.set(event.id, event);
    },
    async setOutcome(id, outcome: EventOutcome) {
      const inserted = ctx.held.events.get(id);
      if (inserted !== undefined) {
        ctx.held.events.delete(id);
        await defer(ctx, insertOf({ ...inserted, outcome }));
        return;
      }
      await defer(
        ctx,
        ctx.db
          .updateTable('events')
          .set({ outcome: m.json(outcome) })
          .where('tenant_id', '=', ctx.tenantId)
          .where('id', '=', id),
      );
    },
    async get(id) {
      await sendHeldEvents(ctx);
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
      await sendHeldEvents(ctx);
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
