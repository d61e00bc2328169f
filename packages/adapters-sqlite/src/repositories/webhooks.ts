import type {
  OutboxEvent,
  OutboxRepository,
  Page,
  PageRequest,
  Timestamp,
  WebhookAttempt,
  WebhookDelivery,
  WebhookDeliveryRepository,
  WebhookRepository,
  WebhookSubscription,
} from '@laas/core';
import { toTs } from '../mapping/helpers.js';
import { outboxFromRow, outboxToRow } from '../mapping/outbox.js';
import {
  attemptFromRow,
  attemptToRow,
  deliveryFromRow,
  deliveryToRow,
  webhookFromRow,
  webhookToRow,
} from '../mapping/webhook.js';
import { compiler, defineQuery, defineSql, p } from '../query.js';
import type { OutboxTable, WebhookAttemptsTable, WebhookDeliveriesTable } from '../schema.js';
import { deleteDef, getRow, insertDef, listPage, type Scope, updateDef } from './scope.js';

const disableSubscription = defineQuery((db) =>
  db
    .updateTable('webhook_subscriptions')
    .set({ active: 0, disabled_reason: p('reason'), updated_at: p('at') })
    .where('tenant_id', '=', p('tenant_id'))
    .where('id', '=', p('id'))
    .where('active', '=', 1),
);
const countDelivery = defineSql(
  `UPDATE webhook_subscriptions
     SET failure_count = CASE WHEN @failed = 1 THEN failure_count + 1 ELSE 0 END
   WHERE tenant_id = @tenant_id AND id = @id
   RETURNING failure_count`,
);
const undispatched = defineSql(
  `SELECT * FROM outbox WHERE tenant_id = @tenant_id AND dispatched_at IS NULL ORDER BY id LIMIT @limit`,
);
const markDispatched = defineQuery((db) =>
  db
    .updateTable('outbox')
    .set({ dispatched_at: p('at') })
    .where('tenant_id', '=', p('tenant_id'))
    .where('id', '=', p('id'))
    .where('dispatched_at', 'is', null),
);
/**
 * One statement, inside the store's write transaction (BEGIN IMMEDIATE, one writer at a time):
 * two claims can never interleave.
 */
const claimDue = defineSql(
  `UPDATE webhook_deliveries SET locked_until = @locked_until
   WHERE tenant_id = @tenant_id AND id IN (
     SELECT id FROM webhook_deliveries
     WHERE tenant_id = @tenant_id AND status = 'pending' AND next_attempt_at <= @now
       AND (locked_until IS NULL OR locked_until < @now)
     ORDER BY next_attempt_at, id LIMIT @limit)
   RETURNING *`,
);
const updateDelivery = defineQuery((db) =>
  db
    .updateTable('webhook_deliveries')
    .set({
      status: p('status'),
      attempts: p('attempts'),
      next_attempt_at: p('next_attempt_at'),
      locked_until: p('locked_until'),
      last_status: p('last_status'),
      last_error: p('last_error'),
      updated_at: p('updated_at'),
    })
    .where('tenant_id', '=', p('tenant_id'))
    .where('id', '=', p('id')),
);
const failPending = defineQuery((db) =>
  db
    .updateTable('webhook_deliveries')
    .set({
      status: 'failed',
      next_attempt_at: null,
      locked_until: null,
      last_error: p('reason'),
      updated_at: p('at'),
    })
    .where('tenant_id', '=', p('tenant_id'))
    .where('subscription_id', '=', p('subscription_id'))
    .where('status', '=', 'pending'),
);

export class SqliteWebhookRepository implements WebhookRepository {
  constructor(private readonly s: Scope) {}

  async insert(subscription: WebhookSubscription): Promise<void> {
    const row = this.s.own(webhookToRow(subscription), 'webhook subscription');
    this.s.unique('webhook subscription', row, () =>
      this.s.r.run(insertDef('webhook_subscriptions', row), row),
    );
  }

  async get(id: string): Promise<WebhookSubscription | null> {
    const row = getRow(this.s, 'webhook_subscriptions', id);
    return row === undefined ? null : webhookFromRow(row);
  }

  async update(subscription: WebhookSubscription): Promise<void> {
    const row = this.s.own(webhookToRow(subscription), 'webhook subscription');
    this.s.r.run(updateDef('webhook_subscriptions', row), row);
  }

  async delete(id: string): Promise<boolean> {
    return this.s.r.run(deleteDef('webhook_subscriptions'), { tenant_id: this.s.tenantId, id }) > 0;
  }

  async list(page: PageRequest): Promise<Page<WebhookSubscription>> {
    return listPage(this.s, 'webhook_subscriptions', page, webhookFromRow);
  }

  async disable(id: string, reason: string, at: Timestamp): Promise<boolean> {
    return this.s.r.run(disableSubscription, { tenant_id: this.s.tenantId, id, reason, at: toTs(at) }) > 0;
  }

  async countDelivery(id: string, failed: boolean): Promise<number | null> {
    const row = this.s.r.get<{ failure_count: number }>(countDelivery, {
      tenant_id: this.s.tenantId,
      id,
      failed: failed ? 1 : 0,
    });
    return row === undefined ? null : row.failure_count;
  }
}

export class SqliteOutboxRepository implements OutboxRepository {
  constructor(private readonly s: Scope) {}

  async append(event: OutboxEvent): Promise<void> {
    const row = this.s.own(outboxToRow(event), 'outbox event');
    this.s.unique('outbox event', row, () => this.s.r.run(insertDef('outbox', row), row));
  }

  async list(page: PageRequest): Promise<Page<OutboxEvent>> {
    return listPage(this.s, 'outbox', page, outboxFromRow);
  }

  async claimUndispatched(limit: number): Promise<OutboxEvent[]> {
    return this.s.r
      .all<OutboxTable>(undispatched, { tenant_id: this.s.tenantId, limit: Math.max(0, Math.floor(limit)) })
      .map(outboxFromRow);
  }

  async markDispatched(ids: readonly string[], at: Timestamp): Promise<void> {
    const args = { tenant_id: this.s.tenantId, at: toTs(at) };
    for (const id of ids) this.s.r.run(markDispatched, { ...args, id });
  }
}

export class SqliteDeliveryRepository implements WebhookDeliveryRepository {
  constructor(private readonly s: Scope) {}

  async insert(delivery: WebhookDelivery): Promise<void> {
    const row = this.s.own(deliveryToRow(delivery), 'webhook delivery');
    this.s.unique('webhook delivery', row, () => this.s.r.run(insertDef('webhook_deliveries', row), row));
  }

  async get(id: string): Promise<WebhookDelivery | null> {
    const row = getRow(this.s, 'webhook_deliveries', id);
    return row === undefined ? null : deliveryFromRow(row);
  }

  async claimDue(now: Timestamp, limit: number, leaseMs: number): Promise<WebhookDelivery[]> {
    const rows = this.s.r.all<WebhookDeliveriesTable>(claimDue, {
      tenant_id: this.s.tenantId,
      now: toTs(now),
      locked_until: new Date(Date.parse(now) + leaseMs).toISOString(),
      limit: Math.max(0, Math.floor(limit)),
    });
    // RETURNING has no order: earliest due first, as the port says.
    return rows
      .map(deliveryFromRow)
      .sort((a, b) =>
        (a.next_attempt_at ?? '') < (b.next_attempt_at ?? '')
          ? -1
          : (a.next_attempt_at ?? '') > (b.next_attempt_at ?? '')
            ? 1
            : a.id < b.id
              ? -1
              : 1,
      );
  }

  async update(delivery: WebhookDelivery): Promise<void> {
    const row = this.s.own(deliveryToRow(delivery), 'webhook delivery');
    this.s.r.run(updateDelivery, row);
  }

  async failPending(subscriptionId: string, reason: string, at: Timestamp): Promise<number> {
    return this.s.r.run(failPending, {
      tenant_id: this.s.tenantId,
      subscription_id: subscriptionId,
      reason,
      at: toTs(at),
    });
  }

  async listForSubscription(subscriptionId: string, page: PageRequest): Promise<Page<WebhookDelivery>> {
    return listPage(this.s, 'webhook_deliveries', page, deliveryFromRow, (q) =>
      q.where('subscription_id', '=', subscriptionId),
    );
  }

  async appendAttempt(attempt: WebhookAttempt): Promise<void> {
    const row = this.s.own(attemptToRow(attempt), 'webhook attempt');
    this.s.unique('webhook attempt', row, () => this.s.r.run(insertDef('webhook_attempts', row), row));
  }

  async listAttempts(deliveryIds: readonly string[]): Promise<WebhookAttempt[]> {
    if (deliveryIds.length === 0) return [];
    const query = compiler
      .selectFrom('webhook_attempts')
      .selectAll()
      .where('tenant_id', '=', this.s.tenantId)
      .where('delivery_id', 'in', [...new Set(deliveryIds)])
      .orderBy('at')
      .orderBy('id')
      .compile();
    return this.s.r.compiled<WebhookAttemptsTable>(query).map(attemptFromRow);
  }
}
