import {
  PLATFORM_TENANT_ID,
  type SharedChannelConfig,
  type SharedChannelKind,
  type SharedChannelPlatformRepository,
  type SharedMerchant,
  type SharedMerchantRepository,
  StateConflictError,
  UniqueViolationError,
} from '@laas/core';
import { type Kysely, sql } from 'kysely';
import { isUniqueViolation, translateError } from '../errors.js';
import * as m from '../mapping.js';
import type { PgDatabase, SharedMerchantsTable } from '../schema.js';
import type { TxContext } from './context.js';

const fromRow = (row: SharedMerchantsTable): SharedMerchant => ({
  tenant_id: row.tenant_id,
  code: row.code,
  whatsapp: row.whatsapp,
  ussd: row.ussd,
  created_at: m.ts(row.created_at),
  updated_at: m.ts(row.updated_at),
});

/**
 * The PostgreSQL {@link SharedMerchantRepository}. A code another tenant holds fails on the
 * code's own unique index, inside a savepoint so that the transaction stays usable.
 */
export function sharedMerchantRepository(ctx: TxContext): SharedMerchantRepository {
  return {
    async getMerchant() {
      const row = await ctx.db
        .selectFrom('shared_merchants')
        .selectAll()
        .where('tenant_id', '=', ctx.tenantId)
        .executeTakeFirst();
      return row ? fromRow(row) : null;
    },
    async putMerchant(merchant: SharedMerchant) {
      if (merchant.tenant_id !== ctx.tenantId) {
        throw new StateConflictError(
          'This shared merchant belongs to another tenant than the transaction’s',
          {
            entity: 'shared merchant',
            tenant_id: merchant.tenant_id,
          },
        );
      }
      const { tenant_id: _t, ...values } = merchant;
      await sql`SAVEPOINT laas_shared_sp`.execute(ctx.db);
      try {
        await ctx.db
          .insertInto('shared_merchants')
          .values(merchant)
          .onConflict((oc) => oc.column('tenant_id').doUpdateSet(values))
          .execute();
      } catch (error) {
        await sql`ROLLBACK TO SAVEPOINT laas_shared_sp`.execute(ctx.db);
        await sql`RELEASE SAVEPOINT laas_shared_sp`.execute(ctx.db);
        if (isUniqueViolation(error)) {
          const violation = new UniqueViolationError('shared merchant', 'code', merchant.code);
          (violation as { cause?: unknown }).cause = error;
          throw violation;
        }
        throw translateError(error);
      }
      await sql`RELEASE SAVEPOINT laas_shared_sp`.execute(ctx.db);
    },
    async deleteMerchant() {
      const result = await ctx.db
        .deleteFrom('shared_merchants')
        .where('tenant_id', '=', ctx.tenantId)
        .executeTakeFirst();
      return result.numDeletedRows > 0n;
    },
  };
}

/**
 * The PostgreSQL {@link SharedChannelPlatformRepository}. The platform tables have no row-level
 * security (no tenant owns them); reads across tenants go through the SECURITY DEFINER functions
 * of migration 0013.
 */
export function pgSharedChannelPlatform(
  root: Kysely<PgDatabase>,
  schema: string,
): SharedChannelPlatformRepository {
  const fn = (name: string) => sql.raw(`"${schema}".${name}`);
  /** A transaction scoped to the platform's own rows (row-level security, like a tenant's). */
  const asPlatform = <T>(body: (db: Kysely<PgDatabase>) => Promise<T>): Promise<T> =>
    root.transaction().execute(async (trx) => {
      await sql`SELECT set_config('laas.tenant_id', ${PLATFORM_TENANT_ID}, true)`.execute(trx);
      return body(trx.withSchema(schema));
    });
  return {
    getSharedChannel: (channel: SharedChannelKind) =>
      asPlatform(async (db) => {
        const row = await db
          .selectFrom('platform_channels')
          .selectAll()
          .where('tenant_id', '=', PLATFORM_TENANT_ID)
          .where('channel', '=', channel)
          .executeTakeFirst();
        return row
          ? { channel, config: row.config as Record<string, unknown>, updated_at: m.ts(row.updated_at) }
          : null;
      }),
    putSharedChannel: (config: SharedChannelConfig) =>
      asPlatform(async (db) => {
        const values = { config: JSON.stringify(config.config), updated_at: config.updated_at };
        await db
          .insertInto('platform_channels')
          .values({ tenant_id: PLATFORM_TENANT_ID, channel: config.channel, ...values })
          .onConflict((oc) => oc.columns(['tenant_id', 'channel']).doUpdateSet(values))
          .execute();
      }),
    async findSharedMerchant(code: string) {
      const { rows } = await sql<SharedMerchantsTable>`
        SELECT * FROM ${fn('laas_find_shared_merchant')}(${code})`.execute(root);
      return rows[0] ? fromRow(rows[0]) : null;
    },
    async listSharedMerchantsOfPhone(phone: string, channel: SharedChannelKind) {
      const { rows } = await sql<SharedMerchantsTable>`
        SELECT * FROM ${fn('laas_shared_merchants_of_phone')}(${phone}, ${channel})`.execute(root);
      return rows.map(fromRow);
    },
    getSharedSelection: (phone: string) =>
      asPlatform(async (db) => {
        const row = await db
          .selectFrom('shared_selections')
          .select('selected_tenant_id')
          .where('tenant_id', '=', PLATFORM_TENANT_ID)
          .where('phone', '=', phone)
          .executeTakeFirst();
        return row?.selected_tenant_id ?? null;
      }),
    async selectSharedMerchant(phone: string, tenantId: string, now: string) {
      const { rows } = await sql<{ ok: boolean }>`
        SELECT ${fn('laas_select_shared_merchant')}(${phone}, ${tenantId}::uuid, ${now}::timestamptz) AS ok`.execute(
        root,
      );
      return rows[0]?.ok === true;
    },
  };
}
