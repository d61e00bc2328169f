import {
  type ApiKey,
  type ApiKeyRepository,
  type IdempotencyRecord,
  type IdempotencyRepository,
  type Page,
  type PageRequest,
  type Timestamp,
  UniqueViolationError,
} from '@laas/core';
import { sql } from 'kysely';
import { apiKeyFromRow, apiKeyToRow, idempotencyFromRow, idempotencyToRow } from '../mapping/api-key.js';
import { toTs } from '../mapping/helpers.js';
import { defineQuery, p } from '../query.js';
import type { IdempotencyKeysTable } from '../schema.js';
import { getRow, insertDef, listPage, type Scope } from './scope.js';

/** Whether any tenant holds the hash: an existence check, no row is returned. */
const hashTaken = defineQuery((db) =>
  db.selectFrom('api_keys').select(sql<number>`1`.as('taken')).where('key_hash', '=', p('key_hash')).limit(1),
);
const revoke = defineQuery((db) =>
  db
    .updateTable('api_keys')
    .set({ revoked_at: p('at') })
    .where('tenant_id', '=', p('tenant_id'))
    .where('id', '=', p('id'))
    .where('revoked_at', 'is', null),
);

export class SqliteApiKeyRepository implements ApiKeyRepository {
  constructor(private readonly s: Scope) {}

  /**
   * The hash is unique across tenants (authentication finds a key by its hash alone); the unique
   * key leads with tenant_id, so the other tenants are checked first (one writer: exact).
   */
  async insert(key: ApiKey): Promise<void> {
    const row = this.s.own(apiKeyToRow(key), 'API key');
    if (this.s.r.get(hashTaken, { key_hash: row.key_hash }) !== undefined) {
      throw new UniqueViolationError('API key', 'key_hash');
    }
    this.s.unique('API key', row, () => this.s.r.run(insertDef('api_keys', row), row));
  }

  async get(id: string): Promise<ApiKey | null> {
    const row = getRow(this.s, 'api_keys', id);
    return row === undefined ? null : apiKeyFromRow(row);
  }

  async revoke(id: string, at: Timestamp): Promise<boolean> {
    return this.s.r.run(revoke, { tenant_id: this.s.tenantId, id, at: toTs(at) }) > 0;
  }

  async list(page: PageRequest): Promise<Page<ApiKey>> {
    return listPage(this.s, 'api_keys', page, apiKeyFromRow);
  }
}

const getRecord = defineQuery((db) =>
  db
    .selectFrom('idempotency_keys')
    .selectAll()
    .where('tenant_id', '=', p('tenant_id'))
    .where('key', '=', p('key')),
);
const purge = defineQuery((db) =>
  db
    .deleteFrom('idempotency_keys')
    .where('tenant_id', '=', p('tenant_id'))
    .where('created_at', '<', p('before')),
);

export class SqliteIdempotencyRepository implements IdempotencyRepository {
  constructor(private readonly s: Scope) {}

  async get(key: string): Promise<IdempotencyRecord | null> {
    const row = this.s.r.get<IdempotencyKeysTable>(getRecord, { tenant_id: this.s.tenantId, key });
    return row === undefined ? null : idempotencyFromRow(row);
  }

  async put(record: IdempotencyRecord): Promise<void> {
    const row = this.s.own(idempotencyToRow(record), 'idempotency record');
    this.s.unique('idempotency record', row, () => this.s.r.run(insertDef('idempotency_keys', row), row));
  }

  async purge(before: Timestamp): Promise<number> {
    return this.s.r.run(purge, { tenant_id: this.s.tenantId, before: toTs(before) });
  }
}
