import type {
  EventListFilter,
  EventOutcome,
  EventRepository,
  LoyaltyEvent,
  Page,
  PageRequest,
} from '@laas/core';
import { eventFromRow, eventToRow } from '../mapping/event.js';
import { toJson } from '../mapping/helpers.js';
import { defineQuery, p } from '../query.js';
import type { EventsTable } from '../schema.js';
import { getRow, insertDef, listPage, type Scope } from './scope.js';

const byKey = defineQuery((db) =>
  db
    .selectFrom('events')
    .selectAll()
    .where('tenant_id', '=', p('tenant_id'))
    .where('idempotency_key', '=', p('idempotency_key')),
);
const setOutcome = defineQuery((db) =>
  db
    .updateTable('events')
    .set({ outcome: p('outcome') })
    .where('tenant_id', '=', p('tenant_id'))
    .where('id', '=', p('id')),
);

export class SqliteEventRepository implements EventRepository {
  constructor(private readonly s: Scope) {}

  async findByIdempotencyKey(key: string): Promise<LoyaltyEvent | null> {
    const row = this.s.r.get<EventsTable>(byKey, { tenant_id: this.s.tenantId, idempotency_key: key });
    return row === undefined ? null : eventFromRow(row);
  }

  async insert(event: LoyaltyEvent): Promise<void> {
    const row = this.s.own(eventToRow(event), 'event');
    this.s.unique('event', row, () => this.s.r.run(insertDef('events', row), row));
  }

  async setOutcome(id: string, outcome: EventOutcome): Promise<void> {
    this.s.r.run(setOutcome, { tenant_id: this.s.tenantId, id, outcome: toJson(outcome) });
  }

  async get(id: string): Promise<LoyaltyEvent | null> {
    const row = getRow(this.s, 'events', id);
    return row === undefined ? null : eventFromRow(row);
  }

  async list(filter: EventListFilter, page: PageRequest): Promise<Page<LoyaltyEvent>> {
    return listPage(this.s, 'events', page, eventFromRow, (q) => {
      if (filter.customer_id !== undefined) q = q.where('customer_id', '=', filter.customer_id);
      if (filter.type !== undefined) q = q.where('type', '=', filter.type);
      return q;
    });
  }
}
