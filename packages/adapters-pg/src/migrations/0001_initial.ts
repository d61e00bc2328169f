import { type Kysely, sql } from 'kysely';
import type { MigrationContext } from './context.js';

/**
 * The first schema: every table, key, index, row-level security policy and the SECURITY DEFINER
 * functions of the platform reads. Every primary and unique key leads with `tenant_id` (the
 * tenants table's key is the tenant id itself), so the schema can be distributed by `tenant_id`.
 *
 * JSON is `jsonb`, except the two stored documents handed back verbatim on a replay
 * (`events.outcome`, `idempotency_keys.body`): those are `json`, which keeps the text as written,
 * so a replay returns the same bytes (jsonb would reorder the keys).
 */
export function statements({ schema: s }: MigrationContext): string[] {
  const tenantTable = (name: string, columns: string, extra: string[] = []): string[] => [
    `CREATE TABLE ${s}.${name} (\n${columns}\n)`,
    ...extra,
    ...rls(s, name, 'tenant_id'),
  ];
  return [
    // ---- tenants -------------------------------------------------------------------------------
    `CREATE TABLE ${s}.tenants (
      id uuid NOT NULL,
      name text NOT NULL,
      timezone text NOT NULL,
      settings jsonb NOT NULL,
      created_at timestamptz NOT NULL,
      CONSTRAINT tenants_pkey PRIMARY KEY (id)
    )`,
    ...rls(s, 'tenants', 'id'),

    // ---- customers -----------------------------------------------------------------------------
    ...tenantTable(
      'customers',
      `tenant_id uuid NOT NULL,
      id uuid NOT NULL,
      phone text,
      external_ref text,
      name text,
      birthday text CHECK (birthday ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}$'),
      attributes jsonb NOT NULL,
      tags jsonb NOT NULL,
      status text NOT NULL CHECK (status IN ('active', 'blocked', 'erased')),
      enrolled_at timestamptz NOT NULL,
      last_event_at timestamptz,
      stats_counts jsonb NOT NULL,
      total_spend bigint NOT NULL,
      points_balance bigint NOT NULL CHECK (points_balance >= 0),
      CONSTRAINT customers_pkey PRIMARY KEY (tenant_id, id),
      CONSTRAINT customers_phone_key UNIQUE (tenant_id, phone),
      CONSTRAINT customers_external_ref_key UNIQUE (tenant_id, external_ref)`,
      [
        `CREATE INDEX customers_status_idx ON ${s}.customers (tenant_id, status, id)`,
        `CREATE INDEX customers_tags_idx ON ${s}.customers USING gin (tags jsonb_path_ops)`,
        `CREATE INDEX customers_birthday_idx ON ${s}.customers (tenant_id, (substr(birthday, 6))) WHERE birthday IS NOT NULL`,
        `CREATE INDEX customers_last_event_idx ON ${s}.customers (tenant_id, last_event_at)`,
      ],
    ),

    // ---- events --------------------------------------------------------------------------------
    ...tenantTable(
      'events',
      `tenant_id uuid NOT NULL,
      id uuid NOT NULL,
      customer_id uuid NOT NULL,
      type text NOT NULL,
      occurred_at timestamptz NOT NULL,
      data jsonb NOT NULL,
      idempotency_key text NOT NULL,
      payload_hash text NOT NULL,
      outcome json,
      created_at timestamptz NOT NULL,
      CONSTRAINT events_pkey PRIMARY KEY (tenant_id, id),
      CONSTRAINT events_idempotency_key_key UNIQUE (tenant_id, idempotency_key)`,
      [
        `CREATE INDEX events_customer_idx ON ${s}.events (tenant_id, customer_id, id)`,
        `CREATE INDEX events_type_idx ON ${s}.events (tenant_id, type, id)`,
      ],
    ),

    // ---- rules ---------------------------------------------------------------------------------
    ...tenantTable(
      'rules',
      `tenant_id uuid NOT NULL,
      id uuid NOT NULL,
      name text NOT NULL,
      priority integer NOT NULL,
      active boolean NOT NULL,
      event_types jsonb NOT NULL,
      condition jsonb NOT NULL,
      reward_id uuid NOT NULL,
      quantity jsonb NOT NULL,
      caps jsonb NOT NULL,
      cooldown text,
      stop_processing boolean NOT NULL,
      campaign_id uuid,
      budget_id uuid,
      valid_from timestamptz,
      valid_until timestamptz,
      version integer NOT NULL,
      created_at timestamptz NOT NULL,
      updated_at timestamptz NOT NULL,
      CONSTRAINT rules_pkey PRIMARY KEY (tenant_id, id)`,
      [`CREATE INDEX rules_active_idx ON ${s}.rules (tenant_id, priority, id) WHERE active`],
    ),

    // ---- rewards and code pools ----------------------------------------------------------------
    ...tenantTable(
      'rewards',
      `tenant_id uuid NOT NULL,
      id uuid NOT NULL,
      name text NOT NULL,
      type text NOT NULL,
      value bigint NOT NULL,
      cost bigint NOT NULL,
      issue_mode text NOT NULL,
      validity text,
      reservation_ttl text NOT NULL,
      points_price bigint,
      active boolean NOT NULL,
      created_at timestamptz NOT NULL,
      updated_at timestamptz NOT NULL,
      CONSTRAINT rewards_pkey PRIMARY KEY (tenant_id, id)`,
    ),
    ...tenantTable(
      'reward_codes',
      `tenant_id uuid NOT NULL,
      reward_id uuid NOT NULL,
      code text NOT NULL,
      issuance_id uuid,
      added_at timestamptz NOT NULL,
      CONSTRAINT reward_codes_pkey PRIMARY KEY (tenant_id, reward_id, code)`,
      [
        `CREATE INDEX reward_codes_free_idx ON ${s}.reward_codes (tenant_id, reward_id, code) WHERE issuance_id IS NULL`,
      ],
    ),

    // ---- issuances -----------------------------------------------------------------------------
    ...tenantTable(
      'issuances',
      `tenant_id uuid NOT NULL,
      id uuid NOT NULL,
      customer_id uuid NOT NULL,
      reward_id uuid NOT NULL,
      rule_id uuid,
      event_id uuid,
      state text NOT NULL CHECK (state IN ('reserved', 'issued', 'redeemed', 'expired', 'cancelled')),
      quantity bigint NOT NULL,
      value bigint NOT NULL,
      cost bigint NOT NULL,
      code text,
      budget_id uuid,
      budget_period text,
      earned_at timestamptz NOT NULL,
      created_at timestamptz NOT NULL,
      issued_at timestamptz,
      expires_at timestamptz,
      reserve_deadline timestamptz,
      redeemed_at timestamptz,
      cancelled_at timestamptz,
      cancel_reason text,
      CONSTRAINT issuances_pkey PRIMARY KEY (tenant_id, id)`,
      [
        `CREATE INDEX issuances_customer_idx ON ${s}.issuances (tenant_id, customer_id, id)`,
        `CREATE INDEX issuances_rule_idx ON ${s}.issuances (tenant_id, rule_id, earned_at)`,
        `CREATE INDEX issuances_rule_customer_idx ON ${s}.issuances (tenant_id, rule_id, customer_id, earned_at)`,
        `CREATE INDEX issuances_state_idx ON ${s}.issuances (tenant_id, state, id)`,
        `CREATE INDEX issuances_code_idx ON ${s}.issuances (tenant_id, code) WHERE code IS NOT NULL`,
        `CREATE INDEX issuances_expiry_idx ON ${s}.issuances (tenant_id, expires_at) WHERE state = 'issued' AND expires_at IS NOT NULL`,
        `CREATE INDEX issuances_deadline_idx ON ${s}.issuances (tenant_id, reserve_deadline) WHERE state = 'reserved' AND reserve_deadline IS NOT NULL`,
      ],
    ),

    // ---- budgets -------------------------------------------------------------------------------
    ...tenantTable(
      'budgets',
      `tenant_id uuid NOT NULL,
      id uuid NOT NULL,
      name text NOT NULL,
      unit text NOT NULL,
      "limit" bigint NOT NULL,
      period text NOT NULL,
      hard_cap boolean NOT NULL,
      soft_cap_ratio double precision,
      active boolean NOT NULL,
      created_at timestamptz NOT NULL,
      updated_at timestamptz NOT NULL,
      CONSTRAINT budgets_pkey PRIMARY KEY (tenant_id, id)`,
    ),
    ...tenantTable(
      'budget_periods',
      `tenant_id uuid NOT NULL,
      budget_id uuid NOT NULL,
      period text NOT NULL,
      "limit" bigint NOT NULL,
      reserved bigint NOT NULL DEFAULT 0 CHECK (reserved >= 0),
      utilized bigint NOT NULL DEFAULT 0 CHECK (utilized >= 0),
      spent bigint NOT NULL DEFAULT 0 CHECK (spent >= 0),
      threshold_notified boolean NOT NULL DEFAULT false,
      exhausted_notified boolean NOT NULL DEFAULT false,
      CONSTRAINT budget_periods_pkey PRIMARY KEY (tenant_id, budget_id, period)`,
    ),
    ...tenantTable(
      'budget_ledger',
      `tenant_id uuid NOT NULL,
      id uuid NOT NULL,
      budget_id uuid NOT NULL,
      period text NOT NULL,
      issuance_id uuid,
      kind text NOT NULL,
      amount bigint NOT NULL,
      "from" text,
      "to" text,
      at timestamptz NOT NULL,
      CONSTRAINT budget_ledger_pkey PRIMARY KEY (tenant_id, id)`,
      [`CREATE INDEX budget_ledger_budget_idx ON ${s}.budget_ledger (tenant_id, budget_id, period, id)`],
    ),

    // ---- points --------------------------------------------------------------------------------
    ...tenantTable(
      'points_lots',
      `tenant_id uuid NOT NULL,
      id uuid NOT NULL,
      customer_id uuid NOT NULL,
      issuance_id uuid,
      earned_at timestamptz NOT NULL,
      expires_at timestamptz,
      amount bigint NOT NULL,
      remaining bigint NOT NULL CHECK (remaining >= 0),
      CONSTRAINT points_lots_pkey PRIMARY KEY (tenant_id, id)`,
      [
        `CREATE INDEX points_lots_customer_idx ON ${s}.points_lots (tenant_id, customer_id, expires_at) WHERE remaining > 0`,
        `CREATE INDEX points_lots_due_idx ON ${s}.points_lots (tenant_id, expires_at) WHERE remaining > 0 AND expires_at IS NOT NULL`,
      ],
    ),
    ...tenantTable(
      'points_ledger',
      `tenant_id uuid NOT NULL,
      id uuid NOT NULL,
      customer_id uuid NOT NULL,
      kind text NOT NULL,
      amount bigint NOT NULL,
      lot_id uuid,
      issuance_id uuid,
      at timestamptz NOT NULL,
      CONSTRAINT points_ledger_pkey PRIMARY KEY (tenant_id, id)`,
      [`CREATE INDEX points_ledger_customer_idx ON ${s}.points_ledger (tenant_id, customer_id, id)`],
    ),

    // ---- campaigns, caps -----------------------------------------------------------------------
    ...tenantTable(
      'campaigns',
      `tenant_id uuid NOT NULL,
      id uuid NOT NULL,
      name text NOT NULL,
      starts_at timestamptz,
      ends_at timestamptz,
      status text NOT NULL,
      budget_id uuid,
      created_at timestamptz NOT NULL,
      updated_at timestamptz NOT NULL,
      CONSTRAINT campaigns_pkey PRIMARY KEY (tenant_id, id)`,
    ),
    ...tenantTable(
      'cap_counters',
      `tenant_id uuid NOT NULL,
      rule_id uuid NOT NULL,
      cap_key text NOT NULL,
      window_key text NOT NULL,
      count bigint NOT NULL DEFAULT 0 CHECK (count >= 0),
      CONSTRAINT cap_counters_pkey PRIMARY KEY (tenant_id, rule_id, cap_key, window_key)`,
    ),

    // ---- webhooks, outbox ----------------------------------------------------------------------
    ...tenantTable(
      'webhook_subscriptions',
      `tenant_id uuid NOT NULL,
      id uuid NOT NULL,
      url text NOT NULL,
      events jsonb NOT NULL,
      secret text NOT NULL,
      active boolean NOT NULL,
      disabled_reason text,
      created_at timestamptz NOT NULL,
      updated_at timestamptz NOT NULL,
      CONSTRAINT webhook_subscriptions_pkey PRIMARY KEY (tenant_id, id)`,
    ),
    ...tenantTable(
      'outbox',
      `tenant_id uuid NOT NULL,
      id uuid NOT NULL,
      type text NOT NULL,
      data jsonb NOT NULL,
      created_at timestamptz NOT NULL,
      CONSTRAINT outbox_pkey PRIMARY KEY (tenant_id, id)`,
    ),

    // ---- api keys, idempotency -----------------------------------------------------------------
    ...tenantTable(
      'api_keys',
      `tenant_id uuid NOT NULL,
      id uuid NOT NULL,
      name text NOT NULL,
      role text NOT NULL,
      key_hash text NOT NULL,
      prefix text NOT NULL,
      created_at timestamptz NOT NULL,
      revoked_at timestamptz,
      CONSTRAINT api_keys_pkey PRIMARY KEY (tenant_id, id),
      CONSTRAINT api_keys_key_hash_key UNIQUE (tenant_id, key_hash)`,
      // Authentication looks a key up by its hash alone, before the tenant is known.
      [`CREATE INDEX api_keys_hash_idx ON ${s}.api_keys (key_hash)`],
    ),
    ...tenantTable(
      'idempotency_keys',
      `tenant_id uuid NOT NULL,
      key text NOT NULL,
      fingerprint text NOT NULL,
      status integer NOT NULL,
      body json,
      created_at timestamptz NOT NULL,
      CONSTRAINT idempotency_keys_pkey PRIMARY KEY (tenant_id, key)`,
      [`CREATE INDEX idempotency_keys_created_idx ON ${s}.idempotency_keys (tenant_id, created_at)`],
    ),

    // ---- platform reads --------------------------------------------------------------------------
    // The only way past row-level security for the application role: three SECURITY DEFINER
    // functions, owned by the migrating (owner) role, that read exactly what authentication and
    // the background worker need. They take no SQL from the caller. Under FORCE ROW LEVEL
    // SECURITY the owner is itself subject to the policies (unless it is a superuser or has
    // BYPASSRLS), so the owner gets one SELECT-only policy on each of the two tables they read.
    `CREATE POLICY owner_platform_read ON ${s}.tenants FOR SELECT TO CURRENT_USER USING (true)`,
    `CREATE POLICY owner_platform_read ON ${s}.api_keys FOR SELECT TO CURRENT_USER USING (true)`,
    `CREATE FUNCTION ${s}.laas_find_api_key(p_key_hash text) RETURNS SETOF ${s}.api_keys
      LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
      AS $fn$ SELECT * FROM ${s}.api_keys WHERE key_hash = p_key_hash ORDER BY id LIMIT 1 $fn$`,
    `CREATE FUNCTION ${s}.laas_get_tenant(p_id uuid) RETURNS SETOF ${s}.tenants
      LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
      AS $fn$ SELECT * FROM ${s}.tenants WHERE id = p_id $fn$`,
    `CREATE FUNCTION ${s}.laas_list_tenants(p_after uuid, p_limit integer) RETURNS SETOF ${s}.tenants
      LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
      AS $fn$ SELECT * FROM ${s}.tenants WHERE p_after IS NULL OR id < p_after
              ORDER BY id DESC LIMIT least(greatest(p_limit, 0), 1000) $fn$`,
    `REVOKE ALL ON FUNCTION ${s}.laas_find_api_key(text) FROM PUBLIC`,
    `REVOKE ALL ON FUNCTION ${s}.laas_get_tenant(uuid) FROM PUBLIC`,
    `REVOKE ALL ON FUNCTION ${s}.laas_list_tenants(uuid, integer) FROM PUBLIC`,
  ];
}

/** Row-level security on one table: a row is visible and writable only in its tenant's transaction. */
export function rls(s: string, table: string, column: string): string[] {
  const predicate = `${column} = nullif(current_setting('laas.tenant_id', true), '')::uuid`;
  return [
    `ALTER TABLE ${s}.${table} ENABLE ROW LEVEL SECURITY`,
    `ALTER TABLE ${s}.${table} FORCE ROW LEVEL SECURITY`,
    `CREATE POLICY tenant_isolation ON ${s}.${table} USING (${predicate}) WITH CHECK (${predicate})`,
  ];
}

export async function up(db: Kysely<unknown>, context: MigrationContext): Promise<void> {
  for (const statement of statements(context)) {
    await sql.raw(statement).execute(db);
  }
}
