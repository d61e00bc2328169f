import { type Kysely, sql } from 'kysely';
import { rls } from './0001_initial.js';
import type { MigrationContext } from './context.js';

/**
 * Tiers (docs/tiers.md): one programme per tenant, one tier row per customer, and the per-customer
 * per-day buckets the qualifying measures are summed from (a window is one range scan of the
 * customer's buckets on the primary key). Row-level security like every table; every key leads
 * with `tenant_id`. `migratePg` grants the tables (`TABLES`) to the application role.
 */
export function statements({ schema: s }: MigrationContext): string[] {
  return [
    `CREATE TABLE ${s}.tier_programmes (
      tenant_id uuid NOT NULL,
      measure text NOT NULL,
      event_types jsonb NOT NULL,
      qualifying_window jsonb NOT NULL,
      grace text NOT NULL,
      levels jsonb NOT NULL,
      version integer NOT NULL,
      created_at timestamptz NOT NULL,
      updated_at timestamptz NOT NULL,
      CONSTRAINT tier_programmes_pkey PRIMARY KEY (tenant_id)
    )`,
    ...rls(s, 'tier_programmes', 'tenant_id'),
    `CREATE TABLE ${s}.customer_tiers (
      tenant_id uuid NOT NULL,
      customer_id uuid NOT NULL,
      tier text,
      since timestamptz NOT NULL,
      qualifying_value bigint NOT NULL,
      downgrade_due_at timestamptz,
      programme_version integer NOT NULL,
      updated_at timestamptz NOT NULL,
      CONSTRAINT customer_tiers_pkey PRIMARY KEY (tenant_id, customer_id)
    )`,
    `CREATE INDEX customer_tiers_due_idx ON ${s}.customer_tiers (tenant_id, downgrade_due_at)
      WHERE downgrade_due_at IS NOT NULL`,
    ...rls(s, 'customer_tiers', 'tenant_id'),
    `CREATE TABLE ${s}.tier_buckets (
      tenant_id uuid NOT NULL,
      customer_id uuid NOT NULL,
      measure text NOT NULL,
      day date NOT NULL,
      value bigint NOT NULL,
      CONSTRAINT tier_buckets_pkey PRIMARY KEY (tenant_id, customer_id, measure, day)
    )`,
    ...rls(s, 'tier_buckets', 'tenant_id'),
  ];
}

export async function up(db: Kysely<unknown>, context: MigrationContext): Promise<void> {
  for (const statement of statements(context)) {
    await sql.raw(statement).execute(db);
  }
}
