// The PostgreSQL floor: an ingest with the SDK's effects in 2 round trips per event.
//   1. `floor_read`: sets the tenant, reads the customer by external_ref (rules need its stats).
//   2. `floor_ingest(plan)`: sets the tenant, checks the idempotency key, locks the customer and
//      re-checks the stats the plan was made from (a concurrent event for the same customer sends
//      the caller back to 1), runs each candidate's guards (cooldown, per-customer caps, global
//      caps and the budget as guarded upserts), then writes issuances, budget and points ledgers,
//      points lots, outbox rows, the customer's stats and the event with its outcome.
// Both functions are the bench's own, created in the product schema by the owner (not a product
// migration), SECURITY INVOKER: the app role calls them under the same row-level security.
import { planEvent } from './plan.mjs';

const READ = (schema) => `
CREATE OR REPLACE FUNCTION ${schema}.floor_read(t uuid, ref text) RETURNS jsonb
LANGUAGE plpgsql SET search_path = ${schema}, pg_catalog AS $fn$
DECLARE c jsonb;
BEGIN
  PERFORM set_config('laas.tenant_id', t::text, true);
  SELECT to_jsonb(x) INTO c FROM customers x WHERE tenant_id = t AND external_ref = ref;
  RETURN c;
END $fn$;`;

const INGEST = (schema) => `
CREATE OR REPLACE FUNCTION ${schema}.floor_ingest(plan jsonb) RETURNS jsonb
LANGUAGE plpgsql SET search_path = ${schema}, pg_catalog AS $fn$
DECLARE
  t uuid := (plan->>'tenant_id')::uuid;
  cust uuid := (plan->>'customer_id')::uuid;
  occurred timestamptz := (plan->>'at')::timestamptz;
  seen record;
  c record;
  d jsonb;
  cand jsonb;
  cap jsonb;
  b jsonb;
  bp record;
  fits boolean;
  claimed jsonb;
  refused jsonb;
  n bigint;
  last timestamptz;
  rid uuid;
  v_cost bigint;
  points bigint := 0;
  decisions jsonb := '[]';
  issued jsonb := '[]';
  v_outcome jsonb;
BEGIN
  PERFORM set_config('laas.tenant_id', t::text, true);
  SELECT payload_hash, outcome INTO seen FROM events WHERE tenant_id = t AND idempotency_key = plan->>'key';
  IF FOUND THEN
    RETURN jsonb_build_object('status', CASE WHEN seen.payload_hash = plan->>'payload_hash' THEN 'replayed' ELSE 'key_reused' END,
                              'outcome', seen.outcome);
  END IF;
  SELECT status, tags, stats_counts, total_spend INTO c FROM customers WHERE tenant_id = t AND id = cust FOR UPDATE;
  IF NOT FOUND OR c.status <> 'active' OR c.stats_counts <> plan->'expected'->'counts'
     OR c.total_spend <> (plan->'expected'->>'total_spend')::bigint OR c.tags <> plan->'expected'->'tags' THEN
    RETURN jsonb_build_object('status', 'stale');
  END IF;

  <<rules>>
  FOR d IN SELECT value FROM jsonb_array_elements(plan->'decisions') LOOP
    cand := d->'candidate';
    IF cand IS NULL THEN
      decisions := decisions || jsonb_build_array(d);
      CONTINUE rules;
    END IF;
    rid := (cand->>'rule_id')::uuid;
    v_cost := (cand->>'cost')::bigint;
    refused := NULL;
    IF jsonb_typeof(cand->'cooldown_ms') = 'number' THEN
      SELECT max(earned_at) INTO last FROM issuances WHERE tenant_id = t AND rule_id = rid AND customer_id = cust;
      IF last IS NOT NULL AND occurred < last + (cand->>'cooldown_ms')::bigint * interval '1 millisecond' THEN
        refused := jsonb_build_object('outcome', 'cooldown', 'reason', format('Cooldown of %s: last earned at %s', cand->>'cooldown', last));
      END IF;
    END IF;
    IF refused IS NULL THEN
      FOR cap IN SELECT value FROM jsonb_array_elements(cand->'customer_caps') LOOP
        SELECT count(*) INTO n FROM issuances WHERE tenant_id = t AND rule_id = rid AND customer_id = cust
          AND (cap->>'since' IS NULL OR earned_at >= (cap->>'since')::timestamptz);
        IF n >= (cap->>'max')::bigint THEN
          refused := jsonb_build_object('outcome', 'cap_reached', 'reason', format('The %s is reached (%s earned)', cap->>'words', n));
          EXIT;
        END IF;
      END LOOP;
    END IF;
    claimed := '[]';
    IF refused IS NULL THEN
      FOR cap IN SELECT value FROM jsonb_array_elements(cand->'global_caps') LOOP
        IF cap->>'rolling_since' IS NOT NULL THEN
          INSERT INTO cap_counters (tenant_id, rule_id, cap_key, window_key, count)
            VALUES (t, rid, cap->>'cap_key', 'rolling', 0) ON CONFLICT DO NOTHING;
          PERFORM 1 FROM cap_counters WHERE tenant_id = t AND rule_id = rid AND cap_key = cap->>'cap_key' AND window_key = 'rolling' FOR UPDATE;
          SELECT count(*) INTO n FROM issuances WHERE tenant_id = t AND rule_id = rid AND earned_at >= (cap->>'rolling_since')::timestamptz;
          n := CASE WHEN n < (cap->>'max')::bigint THEN 1 ELSE 0 END;
        ELSE
          INSERT INTO cap_counters AS k (tenant_id, rule_id, cap_key, window_key, count)
            VALUES (t, rid, cap->>'cap_key', cap->>'window_key', 1)
            ON CONFLICT (tenant_id, rule_id, cap_key, window_key) DO UPDATE SET count = k.count + 1
            WHERE k.count < (cap->>'max')::bigint;
          GET DIAGNOSTICS n = ROW_COUNT;
          IF n = 1 THEN claimed := claimed || jsonb_build_array(cap); END IF;
        END IF;
        IF n = 0 THEN
          refused := jsonb_build_object('outcome', 'cap_reached', 'reason', format('The %s is reached', cap->>'words'));
          EXIT;
        END IF;
      END LOOP;
    END IF;
    b := cand->'budget';
    IF refused IS NULL AND jsonb_typeof(b) = 'object' THEN
      IF NOT (b->>'active')::boolean THEN
        refused := jsonb_build_object('outcome', 'budget_exhausted', 'reason', format('Budget "%s" is switched off', b->>'name'));
      ELSE
        IF (b->>'hard_cap')::boolean AND v_cost > (b->>'limit')::bigint THEN
          -- Cannot fit a fresh period: create it as the SDK does, then only the guarded update.
          INSERT INTO budget_periods (tenant_id, budget_id, period, "limit")
            VALUES (t, (b->>'id')::uuid, b->>'period', (b->>'limit')::bigint) ON CONFLICT DO NOTHING;
          UPDATE budget_periods SET reserved = reserved + CASE WHEN (cand->>'immediate')::boolean THEN 0 ELSE v_cost END,
              utilized = utilized + CASE WHEN (cand->>'immediate')::boolean THEN v_cost ELSE 0 END
            WHERE tenant_id = t AND budget_id = (b->>'id')::uuid AND period = b->>'period'
              AND reserved + utilized + spent + v_cost <= "limit"
            RETURNING * INTO bp;
          fits := FOUND;
        ELSE
          INSERT INTO budget_periods AS p (tenant_id, budget_id, period, "limit", reserved, utilized)
            VALUES (t, (b->>'id')::uuid, b->>'period', (b->>'limit')::bigint,
                    CASE WHEN (cand->>'immediate')::boolean THEN 0 ELSE v_cost END,
                    CASE WHEN (cand->>'immediate')::boolean THEN v_cost ELSE 0 END)
            ON CONFLICT (tenant_id, budget_id, period) DO UPDATE
              SET reserved = p.reserved + excluded.reserved, utilized = p.utilized + excluded.utilized
              WHERE NOT (b->>'hard_cap')::boolean OR p.reserved + p.utilized + p.spent + v_cost <= p."limit"
            RETURNING * INTO bp;
          fits := FOUND;
        END IF;
        IF NOT fits THEN
          UPDATE budget_periods SET exhausted_notified = true
            WHERE tenant_id = t AND budget_id = (b->>'id')::uuid AND period = b->>'period' AND NOT exhausted_notified;
          IF FOUND THEN
            INSERT INTO outbox SELECT * FROM jsonb_populate_record(NULL::outbox, b->'exhausted_outbox');
          END IF;
          refused := jsonb_build_object('outcome', 'budget_exhausted', 'reason', format('Budget "%s" has no room for %s', b->>'name', v_cost));
        ELSIF jsonb_typeof(b->'soft_cap_ratio') = 'number'
              AND bp.reserved + bp.utilized + bp.spent >= (b->>'soft_cap_ratio')::numeric * bp."limit" THEN
          UPDATE budget_periods SET threshold_notified = true
            WHERE tenant_id = t AND budget_id = (b->>'id')::uuid AND period = b->>'period' AND NOT threshold_notified;
          IF FOUND THEN
            INSERT INTO outbox SELECT * FROM jsonb_populate_record(NULL::outbox,
              jsonb_set(b->'threshold_outbox', '{data}', (b->'threshold_outbox'->'data') ||
                jsonb_build_object('limit', bp."limit", 'committed', bp.reserved + bp.utilized + bp.spent)));
          END IF;
        END IF;
      END IF;
    END IF;
    IF refused IS NOT NULL THEN
      -- Give back what this rule claimed: its global cap counters.
      FOR cap IN SELECT value FROM jsonb_array_elements(claimed) LOOP
        UPDATE cap_counters SET count = count - 1
          WHERE tenant_id = t AND rule_id = rid AND cap_key = cap->>'cap_key' AND window_key = cap->>'window_key' AND count > 0;
      END LOOP;
      decisions := decisions || jsonb_build_array(jsonb_build_object('rule_id', rid, 'rule_name', cand->>'rule_name') || refused);
      CONTINUE rules;
    END IF;

    INSERT INTO issuances SELECT * FROM jsonb_populate_record(NULL::issuances, cand->'issuance');
    INSERT INTO budget_ledger SELECT * FROM jsonb_populate_recordset(NULL::budget_ledger, cand->'budget_ledger');
    IF jsonb_typeof(cand->'points') = 'object' THEN
      INSERT INTO points_lots SELECT * FROM jsonb_populate_record(NULL::points_lots, cand->'points'->'lot');
      INSERT INTO points_ledger SELECT * FROM jsonb_populate_record(NULL::points_ledger, cand->'points'->'ledger');
      points := points + (cand->'points'->>'amount')::bigint;
    END IF;
    INSERT INTO outbox SELECT * FROM jsonb_populate_record(NULL::outbox, cand->'outbox');
    decisions := decisions || jsonb_build_array(cand->'decision');
    issued := issued || jsonb_build_array(cand->'issuance'->'id');
  END LOOP;

  UPDATE customers SET
      stats_counts = jsonb_set(stats_counts, ARRAY[plan->>'type'],
        to_jsonb(coalesce((stats_counts->>(plan->>'type'))::bigint, 0) + 1)),
      total_spend = total_spend + (plan->>'spend')::bigint,
      last_event_at = greatest(last_event_at, occurred),
      points_balance = points_balance + points
    WHERE tenant_id = t AND id = cust;
  v_outcome := jsonb_build_object('event_id', plan->'event'->'id', 'customer_id', cust, 'enrolled', false,
                                'decisions', decisions, 'issuance_ids', issued);
  INSERT INTO events SELECT * FROM jsonb_populate_record(NULL::events,
    jsonb_set(plan->'event', '{outcome}', v_outcome));
  RETURN jsonb_build_object('status', 'ok', 'outcome', v_outcome);
END $fn$;`;

/** Creates the floor's two functions in `schema` (as its owner) and lets `role` call them. */
export async function installPgFloor(ownerClient, schema, role) {
  await ownerClient.query(READ(schema));
  await ownerClient.query(INGEST(schema));
  for (const fn of ['floor_read(uuid, text)', 'floor_ingest(jsonb)']) {
    await ownerClient.query(`GRANT EXECUTE ON FUNCTION ${schema}.${fn} TO ${role}`);
  }
}

/** The customer as the SDK maps it (adapters-pg mapping.ts), from `floor_read`'s row. */
function toCustomer(row) {
  return {
    id: row.id,
    tenant_id: row.tenant_id,
    phone: row.phone,
    external_ref: row.external_ref,
    name: row.name,
    birthday: row.birthday,
    attributes: row.attributes,
    tags: row.tags,
    status: row.status,
    enrolled_at: new Date(row.enrolled_at).toISOString(),
    last_event_at: row.last_event_at === null ? null : new Date(row.last_event_at).toISOString(),
    stats: {
      counts: row.stats_counts,
      total_spend: Number(row.total_spend),
      points_balance: Number(row.points_balance),
    },
  };
}

/** `ingest(input)` on `pool` (the app role) for the tenant of `config`; retries a stale plan. */
export function pgFloor(pool, schema, config) {
  const read = `SELECT ${schema}.floor_read($1, $2) AS c`;
  const apply = `SELECT ${schema}.floor_ingest($1) AS r`;
  return async function ingest(input) {
    for (let attempt = 0; attempt < 10; attempt++) {
      const { rows } = await pool.query(read, [config.tenant.id, input.customer.external_ref]);
      if (rows[0].c === null) throw new Error(`no customer ${input.customer.external_ref}`);
      const plan = planEvent(config, toCustomer(rows[0].c), input);
      const { rows: applied } = await pool.query(apply, [plan]);
      const result = applied[0].r;
      if (result.status === 'key_reused') throw new Error(`idempotency key ${input.idempotency_key} reused`);
      if (result.status !== 'stale') return result.outcome;
    }
    throw new Error(`customer ${input.customer.external_ref} kept changing under the floor's plan`);
  };
}
