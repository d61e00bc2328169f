import {
  type ApiKey,
  type ApiKeyRepository,
  type IdempotencyRecord,
  type IdempotencyRepository,
  UniqueViolationError,
} from '@laas/core';
import { sql } from 'kysely';
import { translated } from '../errors.js';
import * as m from '../mapping.js';
import { ownRow, paginate, type TxContext, validId } from './context.js';

export function apiKeyRepository(ctx: TxContext): ApiKeyRepository {
  return {
    async insert(key: ApiKey) {
      ownRow(ctx, key.tenant_id, 'api key');
      const rows = await translated(() =>
        ctx.db
          .insertInto('api_keys')
          .values(m.fromApiKey(key))
          .onConflict((oc) => oc.doNothing())
          .returning('id')
          .execute(),
      );
      if (rows.length === 0) {
        const byHash = await ctx.db
          .selectFrom('api_keys')
          .select('id')
          .where('tenant_id', '=', ctx.tenantId)
          .where('key_hash', '=', key.key_hash)
          .executeTakeFirst();
        throw new UniqueViolationError('api key', byHash ? 'key_hash' : 'id');
      }
    },
    async get(id) {
      if (!validId(id)) return null;
      const row = await ctx.db
        .selectFrom('api_keys')
        .selectAll()
        .where('tenant_id', '=', ctx.tenantId)
        .where('id', '=', id)
        .executeTakeFirst();
      return row ? m.toApiKey(row) : null;
    },
    async revoke(id, at) {
      if (!validId(id)) return false;
      const result = await ctx.db
        .updateTable('api_keys')
        .set({ revoked_at: at })
        .where('tenant_id', '=', ctx.tenantId)
        .where('id', '=', id)
        .where('revoked_at', 'is', null)
        .executeTakeFirst();
      return result.numUpdatedRows > 0n;
    },
    async list(page) {
      return paginate(
        page,
        (after, limit) => {
          let q = ctx.db.selectFrom('api_keys').selectAll().where('tenant_id', '=', ctx.tenantId);
          if (after !== undefined) q = q.where('id', '<', after);
          return q.orderBy('id', 'desc').limit(limit).execute();
        },
        m.toApiKey,
      );
    },
  };
}

export function idempotencyRepository(ctx: TxContext): IdempotencyRepository {
  return {
    async get(key) {
      // Locks the key until the transaction ends, so that concurrent requests with one key run one
      // after the other: the second waits here, then (a fresh snapshot: READ COMMITTED) finds the
      // response the first stored and replays it, instead of running its effects concurrently and
      // failing on whatever unique value those effects collide on (a phone, say).
      await sql`SELECT pg_advisory_xact_lock(hashtext(${ctx.tenantId}), hashtext(${`idempotency:${key}`}))`.execute(
        ctx.db,
      );
      const row = await ctx.db
        .selectFrom('idempotency_keys')
        .selectAll()
        .where('tenant_id', '=', ctx.tenantId)
        .where('key', '=', key)
        .executeTakeFirst();
      return row ? m.toIdempotencyRecord(row) : null;
    },
    async put(record: IdempotencyRecord) {
      ownRow(ctx, record.tenant_id, 'idempotency record');
      const rows = await translated(() =>
        ctx.db
          .insertInto('idempotency_keys')
          .values(m.fromIdempotencyRecord(record))
          .onConflict((oc) => oc.doNothing())
          .returning('key')
          .execute(),
      );
      if (rows.length === 0) throw new UniqueViolationError('idempotency record', 'key', record.key);
    },
    async purge(before) {
      const result = await ctx.db
        .deleteFrom('idempotency_keys')
        .where('tenant_id', '=', ctx.tenantId)
        .where('created_at', '<', new Date(before))
        .executeTakeFirst();
      return Number(result.numDeletedRows);
    },
  };
}
