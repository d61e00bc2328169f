import type { OutboxEventType } from '../domain/outbox.js';
import type { Tenant } from '../domain/tenant.js';
import type { Tx } from '../ports/store.js';
import type { Timestamp } from '../time.js';
import type { TenantConfig } from './config-cache.js';

/** What one engine operation carries through its transaction. */
export interface Operation {
  tx: Tx;
  tenant: Tenant;
  /** The tenant's configuration version, read with `tenant` (`tx.tenants.getVersioned`). */
  configVersion: number;
  /** Set for an ingest: the tenant's cached configuration (the tier programme is read from it). */
  config?: TenantConfig;
  /**
   * True when `tenant`, `configVersion` and `config` are the cache's last sight of the tenant,
   * not read in this transaction: ingest's opening read checks them (and starts over on another
   * version) before anything is decided.
   */
  assumed?: boolean;
  /** The operation's time (the engine clock), UTC. */
  now: Timestamp;
  newId: () => string;
}

/** Writes an outbox row in the operation's transaction (invariant 8). */
export async function emit(
  op: Operation,
  type: OutboxEventType,
  data: Record<string, unknown>,
): Promise<void> {
  await op.tx.outbox.append({ id: op.newId(), tenant_id: op.tenant.id, type, data, created_at: op.now });
}
