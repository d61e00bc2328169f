import type {
  OutboxEvent,
  OutboxRepository,
  Page,
  PageRequest,
  WebhookRepository,
  WebhookSubscription,
} from '@laas/core';
import { outboxFromRow, outboxToRow } from '../mapping/outbox.js';
import { webhookFromRow, webhookToRow } from '../mapping/webhook.js';
import { deleteDef, getRow, insertDef, listPage, type Scope, updateDef } from './scope.js';

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
}
