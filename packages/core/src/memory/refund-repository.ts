import type { RefundRecord } from '../domain/refund.js';
import { ForeignTenantRowError } from '../errors.js';
import type { RefundRepository } from '../ports/repositories.js';
import { UniqueViolationError } from '../ports/store.js';
import { SortedKeys } from './sorted-keys.js';
import { Table, type TenantData } from './state.js';
import type { UndoLog } from './undo-log.js';

/** What the refund repository needs of a MemoryStore transaction (a subset of its context). */
export interface RefundCtx {
  readonly tenantId: string;
  readonly data: TenantData;
  readonly log: UndoLog;
  readonly copy: <T>(value: T) => T;
  /** Throws once the transaction has ended. */
  live(): void;
}

interface RefundRows {
  readonly table: Table<RefundRecord>;
  /** original event id → ids of its refunds (ascending: oldest first). */
  readonly byOriginal: Map<string, SortedKeys>;
}

/**
 * A tenant's refund rows, kept beside its {@link TenantData} (keyed by it, so they live and go
 * with the tenant's data) rather than in it: the refund feature stays in its own file.
 */
const rowsOf = new WeakMap<TenantData, RefundRows>();

function rows(data: TenantData): RefundRows {
  let found = rowsOf.get(data);
  if (found === undefined) {
    found = { table: new Table<RefundRecord>(), byOriginal: new Map() };
    rowsOf.set(data, found);
  }
  return found;
}

/** The MemoryStore's {@link RefundRepository}; every change goes through the undo log. */
export function refundRepository(ctx: RefundCtx): RefundRepository {
  const { log } = ctx;
  const { table, byOriginal } = rows(ctx.data);
  return {
    async insert(record) {
      ctx.live();
      if (record.tenant_id !== ctx.tenantId)
        throw new ForeignTenantRowError('refund', record.tenant_id, ctx.tenantId);
      if (table.has(record.id)) throw new UniqueViolationError('refund', 'id', record.id);
      table.insert(log, ctx.copy(record));
      let keys = byOriginal.get(record.original_event_id);
      if (keys === undefined) {
        keys = new SortedKeys();
        // An empty index entry is invisible: it needs no undo.
        byOriginal.set(record.original_event_id, keys);
      }
      log.insertSorted(keys, record.id);
    },
    async listForOriginal(originalEventId) {
      ctx.live();
      const keys = byOriginal.get(originalEventId);
      const out: RefundRecord[] = [];
      for (let i = 0; i < (keys?.size ?? 0); i++) {
        const row = table.get(keys?.at(i) as string);
        if (row !== undefined) out.push(ctx.copy(row));
      }
      return out;
    },
    async get(id) {
      ctx.live();
      const row = table.get(id);
      return row === undefined ? null : ctx.copy(row);
    },
    async list(filter, page) {
      ctx.live();
      return table.page(
        page,
        (row) =>
          (filter.customer_id === undefined || row.customer_id === filter.customer_id) &&
          (filter.original_event_id === undefined || row.original_event_id === filter.original_event_id),
      );
    },
  };
}
