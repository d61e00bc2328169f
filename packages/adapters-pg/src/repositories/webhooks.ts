import type {
  OutboxEvent,
  OutboxRepository,
  WebhookAttempt,
  WebhookDelivery,
  WebhookDeliveryRepository,
  WebhookRepository,
  WebhookSubscription,
} from '@laas/core';
import { sql } from 'kysely';
import { translated } from '../errors.js';
import * as m from '../mapping.js';
import { defer, ownRow, paginate, type TxContext, table, validId } from './context.js';

export function webhookRepository(ctx: TxContext): WebhookRepository {
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

export function outboxRepository(ctx: TxContext): OutboxRepository {
  return {
    async append(event: OutboxEvent) {
      ownRow(ctx, event.tenant_id, 'outbox event');
      await defer(ctx, ctx.db.insertInto('outbox').values(m.fromOutboxEvent(event)));
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

export function deliveryRepository(ctx: TxContext): WebhookDeliveryRepository {
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
