import {
  type CustomerTier,
  ForeignTenantRowError,
  type TierProgramme,
  type TierRepository,
} from '@laas/core';
import { type RawBuilder, sql } from 'kysely';
import { int, ts, tsOrNull } from '../mapping.js';
import type { TxContext } from './context.js';

interface CustomerTierRow {
  tenant_id: string;
  customer_id: string;
  tier: string | null;
  since: Date;
  qualifying_value: string;
  downgrade_due_at: Date | null;
  programme_version: number;
  updated_at: Date;
}

function toCustomerTier(row: CustomerTierRow): CustomerTier {
  return {
    tenant_id: row.tenant_id,
    customer_id: row.customer_id,
    tier: row.tier,
    since: ts(row.since),
    qualifying_value: int(row.qualifying_value),
    downgrade_due_at: tsOrNull(row.downgrade_due_at),
    programme_version: row.programme_version,
    updated_at: ts(row.updated_at),
  };
}

/**
 * The PostgreSQL {@link TierRepository}. Buckets are incremented with one upsert
 * (`ON CONFLICT ... DO UPDATE SET value = value + excluded.value`), so concurrent additions all
 * count; a window's sum is one range scan of the bucket primary key.
 */
export function tierRepository(ctx: TxContext): TierRepository {
  const t = (name: string): RawBuilder<unknown> => sql.table(`${ctx.schema}.${name}`);
  const own = (row: { tenant_id: string }, entity: string): void => {
    if (row.tenant_id !== ctx.tenantId) throw new ForeignTenantRowError(entity, row.tenant_id, ctx.tenantId);
  };
  return {
    async getProgramme() {
      const { rows } = await sql<{
        tenant_id: string;
        measure: TierProgramme['measure'];
        event_types: string[];
        qualifying_window: TierProgramme['window'];
        grace: string;
        levels: TierProgramme['levels'];
        version: number;
        created_at: Date;
        updated_at: Date;
      }>`SELECT * FROM ${t('tier_programmes')} WHERE tenant_id = ${ctx.tenantId}`.execute(ctx.db);
      const row = rows[0];
      if (row === undefined) return null;
      return {
        tenant_id: row.tenant_id,
        measure: row.measure,
        event_types: row.event_types,
        window: row.qualifying_window,
        grace: row.grace,
        levels: row.levels,
        version: row.version,
        created_at: ts(row.created_at),
        updated_at: ts(row.updated_at),
      };
    },
    async putProgramme(p) {
      own(p, 'tier programme');
      await sql`INSERT INTO ${t('tier_programmes')}
          (tenant_id, measure, event_types, qualifying_window, grace, levels, version, created_at, updated_at)
        VALUES (${p.tenant_id}, ${p.measure}, ${JSON.stringify(p.event_types)}::jsonb,
          ${JSON.stringify(p.window)}::jsonb, ${p.grace}, ${JSON.stringify(p.levels)}::jsonb, ${p.version},
          ${p.created_at}, ${p.updated_at})
        ON CONFLICT (tenant_id) DO UPDATE SET measure = excluded.measure, event_types = excluded.event_types,
          qualifying_window = excluded.qualifying_window, grace = excluded.grace, levels = excluded.levels,
          version = excluded.version, created_at = excluded.created_at, updated_at = excluded.updated_at`.execute(
        ctx.db,
      );
    },
    async deleteProgramme() {
      const result = await sql`DELETE FROM ${t('tier_programmes')} WHERE tenant_id = ${ctx.tenantId}`.execute(
        ctx.db,
      );
      return (result.numAffectedRows ?? 0n) > 0n;
    },
    async getCustomerTier(customerId) {
      const { rows } = await sql<CustomerTierRow>`SELECT * FROM ${t('customer_tiers')}
        WHERE tenant_id = ${ctx.tenantId} AND customer_id = ${customerId}`.execute(ctx.db);
      return rows[0] === undefined ? null : toCustomerTier(rows[0]);
    },
    async putCustomerTier(r) {
      own(r, 'customer tier');
      await sql`INSERT INTO ${t('customer_tiers')}
          (tenant_id, customer_id, tier, since, qualifying_value, downgrade_due_at, programme_version, updated_at)
        VALUES (${r.tenant_id}, ${r.customer_id}, ${r.tier}, ${r.since}, ${r.qualifying_value},
          ${r.downgrade_due_at}, ${r.programme_version}, ${r.updated_at})
        ON CONFLICT (tenant_id, customer_id) DO UPDATE SET tier = excluded.tier, since = excluded.since,
          qualifying_value = excluded.qualifying_value, downgrade_due_at = excluded.downgrade_due_at,
          programme_version = excluded.programme_version, updated_at = excluded.updated_at`.execute(ctx.db);
    },
    async addToBucket(customerId, measure, day, amount) {
      await sql`INSERT INTO ${t('tier_buckets')} AS b (tenant_id, customer_id, measure, day, value)
        VALUES (${ctx.tenantId}, ${customerId}, ${measure}, ${day}::date, ${amount})
        ON CONFLICT (tenant_id, customer_id, measure, day) DO UPDATE SET value = b.value + excluded.value`.execute(
        ctx.db,
      );
    },
    async sumBuckets(customerId, measures, fromDay) {
      const { rows } = await sql<{ total: string }>`SELECT COALESCE(SUM(value), 0)::bigint AS total
        FROM ${t('tier_buckets')}
        WHERE tenant_id = ${ctx.tenantId} AND customer_id = ${customerId}
          AND measure = ANY(${[...measures]}::text[]) AND day >= ${fromDay}::date`.execute(ctx.db);
      return int(rows[0]?.total ?? 0);
    },
    async listDowngradesDue(now, limit) {
      const { rows } = await sql<CustomerTierRow>`SELECT * FROM ${t('customer_tiers')}
        WHERE tenant_id = ${ctx.tenantId} AND downgrade_due_at IS NOT NULL AND downgrade_due_at <= ${now}
        ORDER BY downgrade_due_at, customer_id LIMIT ${limit}`.execute(ctx.db);
      return rows.map(toCustomerTier);
    },
  };
}
