// The hand-written ingest's decisions, shared by the PostgreSQL and SQLite floors: the tenant's
// configuration is loaded once, each event's rules are evaluated in JS with @laas/rules (the same
// JsonLogic the SDK compiles), and the result is a plan of pre-built rows that a store applies
// behind guards (cooldowns, caps, budgets). It covers what bench/workload.mjs configures; anything
// else (campaigns, vouchers, stop_processing, tiers, referrals) is refused at load, not ignored.
import { createHash } from 'node:crypto';
import { addMs, buildRuleContext, durationMs, newId, periodKey, startOfUnit } from '@laas/core';
import { createRulesEngine, isTruthy } from '@laas/rules';

async function all(list) {
  const items = [];
  let cursor;
  do {
    const page = await list({ limit: 200, cursor });
    items.push(...page.items);
    cursor = page.next_cursor ?? undefined;
  } while (cursor !== undefined);
  return items;
}

function refuseUnsupported(rule, reward) {
  const why =
    rule.campaign_id !== null
      ? 'a campaign'
      : rule.stop_processing
        ? 'stop_processing'
        : reward?.type === 'voucher'
          ? 'a voucher reward'
          : null;
  if (why !== null) throw new Error(`the floor does not implement ${why} (rule "${rule.name}")`);
}

/** The tenant's configuration as the floor keeps it: active rules by event type, compiled. */
export async function loadConfig(engine, tenantId) {
  const tenant = await engine.tenants.get(tenantId);
  const rewards = new Map((await all((p) => engine.rewards.list(tenantId, p))).map((r) => [r.id, r]));
  const budgets = new Map((await all((p) => engine.budgets.list(tenantId, p))).map((b) => [b.id, b]));
  const logic = createRulesEngine();
  const byType = new Map();
  const rules = (await all((p) => engine.rules.list(tenantId, p)))
    .filter((rule) => rule.active)
    .sort((a, b) => a.priority - b.priority || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  for (const rule of rules) {
    refuseUnsupported(rule, rewards.get(rule.reward_id));
    const compiled = {
      rule,
      condition: logic.compile(rule.condition),
      quantity: logic.compile(rule.quantity),
    };
    for (const type of rule.event_types) {
      if (!byType.has(type)) byType.set(type, []);
      byType.get(type).push(compiled);
    }
  }
  return { tenant, rewards, budgets, byType };
}

function canonicalJson(value) {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const keys = Object.keys(value)
    .filter((k) => value[k] !== undefined)
    .sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(value[k])}`).join(',')}}`;
}

/** The SDK's idempotency fingerprint (engine/payload-hash.ts). */
export const payloadHash = (input) => createHash('sha256').update(canonicalJson(input)).digest('hex');

function capWords(cap) {
  const w = cap.window;
  const per = typeof w === 'string' ? (w === 'lifetime' ? 'in total' : `per ${w}`) : `per ${w.rolling}`;
  return `${cap.scope === 'customer' ? 'per-customer' : 'global'} cap of ${cap.max} ${per}`;
}

function customerCap(cap, at, tz) {
  const since =
    cap.window === 'lifetime'
      ? null
      : typeof cap.window === 'string'
        ? startOfUnit(at, cap.window, tz)
        : addMs(at, -durationMs(cap.window.rolling));
  return { max: cap.max, since, words: capWords(cap) };
}

/** The counter row a global cap claims (core's globalClaim and capWindowKey). */
function globalCap(cap, index, at, tz) {
  const w = cap.window;
  const rolling = typeof w === 'object';
  return {
    cap_key: `${index}:${rolling ? `rolling:${w.rolling}` : w}:${cap.max}`,
    window_key: rolling ? 'rolling' : w === 'lifetime' ? 'lifetime' : `calendar:${periodKey(at, w, tz)}`,
    rolling_since: rolling ? addMs(at, -durationMs(w.rolling)) : null,
    max: cap.max,
    words: capWords(cap),
  };
}

const outboxRow = (tenantId, type, data, now) => ({
  id: newId(),
  tenant_id: tenantId,
  type,
  data,
  created_at: now,
  dispatched_at: null,
});

/** The rows one issuance writes, and the guards it passes first: a candidate for the store. */
function candidate(config, rule, reward, quantity, event, now) {
  const { tenant, budgets } = config;
  const tz = tenant.timezone;
  const at = event.occurred_at;
  const t = tenant.id;
  const immediate = reward.issue_mode === 'immediate';
  const cost = quantity * reward.cost;
  const budget = rule.budget_id === null ? null : (budgets.get(rule.budget_id) ?? null);
  const period = budget === null ? null : periodKey(now, budget.period, tz);
  const issuance = {
    id: newId(),
    tenant_id: t,
    customer_id: event.customer_id,
    reward_id: reward.id,
    rule_id: rule.id,
    event_id: event.id,
    state: immediate ? 'issued' : 'reserved',
    quantity,
    value: quantity * reward.value,
    cost,
    code: null,
    budget_id: budget?.id ?? null,
    budget_period: period,
    earned_at: at,
    created_at: now,
    issued_at: immediate ? now : null,
    expires_at: immediate && reward.validity !== null ? addMs(now, durationMs(reward.validity)) : null,
    reserve_deadline: immediate ? null : addMs(now, durationMs(reward.reservation_ttl)),
    redeemed_at: null,
    cancelled_at: null,
    cancel_reason: null,
  };
  const ledger = (kind, from, to) => ({
    id: newId(),
    tenant_id: t,
    budget_id: budget.id,
    period,
    issuance_id: issuance.id,
    kind,
    amount: cost,
    from,
    to,
    at: now,
  });
  const points = immediate && reward.type === 'points' ? pointsRows(tenant, issuance, now) : null;
  const units = `${quantity} × "${reward.name}"`;
  return {
    rule_id: rule.id,
    rule_name: rule.name,
    cooldown_ms: rule.cooldown === null ? null : durationMs(rule.cooldown),
    cooldown: rule.cooldown,
    customer_caps: rule.caps.filter((c) => c.scope === 'customer').map((c) => customerCap(c, at, tz)),
    global_caps: rule.caps.flatMap((c, i) => (c.scope === 'global' ? [globalCap(c, i, at, tz)] : [])),
    budget:
      budget === null
        ? null
        : {
            id: budget.id,
            name: budget.name,
            active: budget.active,
            period,
            limit: budget.limit,
            hard_cap: budget.hard_cap,
            soft_cap_ratio: budget.soft_cap_ratio,
            threshold_outbox: outboxRow(
              t,
              'budget.threshold',
              {
                budget_id: budget.id,
                budget_name: budget.name,
                period,
                soft_cap_ratio: budget.soft_cap_ratio,
              },
              now,
            ),
            exhausted_outbox: outboxRow(
              t,
              'budget.exhausted',
              { budget_id: budget.id, budget_name: budget.name, period },
              now,
            ),
          },
    cost,
    immediate,
    issuance,
    budget_ledger:
      budget === null
        ? []
        : [
            ledger('reserve', null, 'reserved'),
            ...(immediate ? [ledger('charge', 'reserved', 'utilized')] : []),
          ],
    points,
    outbox: outboxRow(t, immediate ? 'reward.issued' : 'reward.reserved', { issuance }, now),
    decision: {
      rule_id: rule.id,
      rule_name: rule.name,
      outcome: immediate ? 'issued' : 'reserved',
      reason: immediate
        ? `Issued ${units}`
        : `Reserved ${units} for manual issue until ${issuance.reserve_deadline}`,
      issuance_id: issuance.id,
      quantity,
    },
  };
}

function pointsRows(tenant, issuance, now) {
  const expiry = tenant.settings.points_expiry;
  const lot = {
    id: newId(),
    tenant_id: tenant.id,
    customer_id: issuance.customer_id,
    issuance_id: issuance.id,
    earned_at: issuance.earned_at,
    expires_at: expiry === null ? null : addMs(issuance.earned_at, durationMs(expiry)),
    amount: issuance.value,
    remaining: issuance.value,
  };
  const ledger = {
    id: newId(),
    tenant_id: tenant.id,
    customer_id: issuance.customer_id,
    kind: 'earn',
    amount: issuance.value,
    lot_id: lot.id,
    issuance_id: issuance.id,
    at: now,
    reason: null,
    actor: null,
  };
  return { amount: issuance.value, lot, ledger };
}

const within = (rule, at) =>
  (rule.valid_from === null || rule.valid_from <= at) && (rule.valid_until === null || at < rule.valid_until);

/** One rule's decision made in JS, or the candidate the store decides. */
function decide(config, compiled, context, event, now) {
  const { rule } = compiled;
  const decision = (outcome, reason) => ({ rule_id: rule.id, rule_name: rule.name, outcome, reason });
  const env = { now: new Date(event.occurred_at), timeZone: config.tenant.timezone };
  let quantity;
  try {
    if (!isTruthy(compiled.condition.evaluate(context, env)))
      return decision('not_matched', 'The condition was false');
    const value = compiled.quantity.evaluate(context, env);
    quantity = typeof value === 'number' && Number.isFinite(value) ? Math.floor(value) : Number.NaN;
  } catch (error) {
    return decision('not_matched', `The rule could not be evaluated: ${error.message}`);
  }
  if (Number.isNaN(quantity)) return decision('not_matched', 'The quantity formula gave no number');
  if (quantity < 1) return decision('not_matched', `The quantity formula gave ${quantity}: nothing to give`);
  const reward = config.rewards.get(rule.reward_id);
  if (reward === undefined || !reward.active) return decision('not_matched', 'The reward is not active');
  return { candidate: candidate(config, rule, reward, quantity, event, now) };
}

/**
 * The plan of one event for `customer` as read (its stats before this event): the event row, the
 * stats the store re-checks under the customer's lock, and one entry per candidate rule, either a
 * decision made here or a candidate whose guards the store runs.
 */
export function planEvent(config, customer, input, now = new Date().toISOString()) {
  const at = input.occurred_at ?? now;
  const spend = input.type === 'purchase' && typeof input.data.amount === 'number' ? input.data.amount : 0;
  const stats = customer.stats;
  const after = {
    ...customer,
    last_event_at:
      customer.last_event_at === null || customer.last_event_at < at ? at : customer.last_event_at,
    stats: {
      ...stats,
      counts: { ...stats.counts, [input.type]: (stats.counts[input.type] ?? 0) + 1 },
      total_spend: stats.total_spend + spend,
    },
  };
  const hash = payloadHash(input);
  const event = {
    id: newId(),
    tenant_id: config.tenant.id,
    customer_id: customer.id,
    type: input.type,
    occurred_at: at,
    data: input.data,
    idempotency_key: input.idempotency_key,
    payload_hash: hash,
    outcome: null,
    created_at: now,
  };
  const context = buildRuleContext(config.tenant, after, event);
  context.customer.tier = null; // what the SDK's rules see with no tier programme
  const decisions = [];
  for (const compiled of config.byType.get(input.type) ?? []) {
    if (within(compiled.rule, at)) decisions.push(decide(config, compiled, context, event, now));
  }
  return {
    tenant_id: config.tenant.id,
    key: input.idempotency_key,
    payload_hash: hash,
    customer_id: customer.id,
    expected: { counts: stats.counts, total_spend: stats.total_spend, tags: customer.tags },
    type: input.type,
    spend,
    at,
    event,
    decisions,
  };
}
