import { type ExplainNode, isTruthy } from '@laas/rules';
import type { Campaign } from '../domain/campaign.js';
import { durationMs, isAmount, MAX_AMOUNT } from '../domain/common.js';
import { type Customer, EMPTY_STATS } from '../domain/customer.js';
import type { Decision, EventOutcome, IngestEvent, LoyaltyEvent } from '../domain/event.js';
import type { Issuance } from '../domain/issuance.js';
import { isRefundType } from '../domain/refund.js';
import type { Cap, Rule } from '../domain/rule.js';
import { backdateLimitOf } from '../domain/tenant.js';
import {
  IdempotencyKeyReusedError,
  NotFoundError,
  orNotFound,
  StateConflictError,
  UnprocessableInputError,
} from '../errors.js';
import type { GlobalCapClaim } from '../ports/repositories.js';
import { addMs, periodKey, type Timestamp } from '../time.js';
import { reserveBudget } from './budget-ops.js';
import type { CompiledRuleCache } from './compiled-rules.js';
import type { ConfigCache, TenantConfig } from './config-cache.js';
import { capWindowStart, EarnedHistory } from './earned-history.js';
import { eventTypeWarnings, refuseUndeclaredType } from './event-types.js';
import { expiryOf, issuancePayload } from './issuance-ops.js';
import { emit, type Operation } from './operation.js';
import { creditPoints } from './points-ops.js';
import { type ReferralContext, referralStep } from './referrals.js';
import { applyRefund } from './refunds.js';
import { buildRuleContext, type RuleContext } from './rule-context.js';
import { tiersAfterRules, tiersAtIngest } from './tiers.js';
import type { IngestResult, RuleExplanation } from './types.js';

export interface IngestRun {
  input: IngestEvent;
  payloadHash: string;
  dryRun: boolean;
  compiled: CompiledRuleCache;
  configs: ConfigCache;
  /** False inside a joined transaction, which may have changed the configuration itself. */
  shareConfig: boolean;
  /** Set on the referrer's `referral` event that a referee's qualifying event causes (engine/referrals.ts). */
  referral?: ReferralContext;
}

/** How far ahead of the server clock an `occurred_at` may be (clock skew of a till). */
export const MAX_FUTURE_SKEW_MS = 5 * 60_000;

/**
 * `occurred_at` drives stats, caps, cooldowns and windows: it may lie at most 5 minutes ahead of
 * the transaction's clock and at most the tenant's `backdate_limit` behind it.
 */
function checkOccurredAt(op: Operation, occurredAt: string | undefined): void {
  if (occurredAt === undefined) return;
  const at = Date.parse(occurredAt);
  const now = Date.parse(op.now);
  if (at > now + MAX_FUTURE_SKEW_MS) {
    throw new UnprocessableInputError(
      `occurred_at ${occurredAt} is in the future (more than 5 minutes ahead of the server clock, ${op.now}); check the till's clock`,
      [{ path: 'occurred_at', message: 'is more than 5 minutes in the future', code: 'too_late' }],
    );
  }
  const limit = backdateLimitOf(op.tenant.settings);
  if (limit !== null && at < now - durationMs(limit)) {
    throw new UnprocessableInputError(
      `occurred_at ${occurredAt} is older than this tenant's backdate_limit (${limit}); to import history, set settings.backdate_limit to null first`,
      [{ path: 'occurred_at', message: `is more than ${limit} in the past`, code: 'too_early' }],
    );
  }
}

/** Ingest steps 2–7 of DESIGN.md inside the operation's transaction. */
export async function ingestInTransaction(outer: Operation, run: IngestRun): Promise<IngestResult> {
  // A nested ingest (a referral) keeps the configuration its parent already holds.
  let op: Operation =
    outer.config !== undefined
      ? outer
      : {
          ...outer,
          config: run.shareConfig
            ? run.configs.of(outer.tenant, outer.configVersion)
            : run.configs.unshared(outer.tenant, outer.configVersion),
        };
  const { tx } = op;
  const { input } = run;

  // One read before deciding: the tenant's version, the stored event, the customer locked, their
  // referral and what the candidate rules read of their history.
  let { config, rules, reads, opening } = await open(op, run);
  if (op.assumed) {
    // The operation began on the cached configuration: the opening read says whether it holds.
    const found = orNotFound(opening.tenant, 'tenant', op.tenant.id);
    op = { ...op, assumed: false };
    if (found.configVersion !== op.configVersion) {
      op = {
        ...op,
        tenant: found.tenant,
        configVersion: found.configVersion,
        config: run.configs.of(found.tenant, found.configVersion),
      };
      ({ config, rules, reads, opening } = await open(op, run));
    }
  }
  const occurredAt = input.occurred_at ?? op.now;
  if (opening.seen !== null) return replay(op, opening.seen, run);
  // The referrer's `referral` event is the engine's own, whatever types the tenant's tills send.
  if (run.referral === undefined) refuseUndeclaredType(op.tenant, input.type);
  // A dry run's clock is its event's time (backtests replay the past): only live events are bounded.
  if (!run.dryRun) checkOccurredAt(op, input.occurred_at);

  const { customer: locked, enrolled } = await findOrEnrollCustomer(op, input, opening.customer);
  if (locked.status !== 'active') {
    throw new StateConflictError(`This customer is ${locked.status} and cannot earn rewards`, {
      state: locked.status,
      customer_id: locked.id,
    });
  }

  const event: LoyaltyEvent = {
    id: op.newId(),
    tenant_id: op.tenant.id,
    customer_id: locked.id,
    type: input.type,
    occurred_at: occurredAt,
    data: input.data,
    idempotency_key: input.idempotency_key,
    payload_hash: run.payloadHash,
    outcome: null,
    created_at: op.now,
  };
  await tx.events.insert(event);
  const spend = input.type === 'purchase' && typeof input.data.amount === 'number' ? input.data.amount : 0;
  if (locked.stats.total_spend + spend > MAX_AMOUNT) {
    throw new UnprocessableInputError(
      `This purchase would take the customer's total spend past the maximum of ${MAX_AMOUNT}`,
      [
        {
          path: 'data.amount',
          message: `takes the customer's total spend past ${MAX_AMOUNT}`,
          code: 'too_big',
        },
      ],
    );
  }
  const customer = await tx.customers.recordEvent(locked.id, input.type, spend, occurredAt);
  const refund = isRefundType(input.type) ? await applyRefund(op, event) : null;

  const referral = await referralStep(op, input, event, customer, enrolled, run.referral, opening.referral);
  const context = buildRuleContext(op.tenant, customer, event, referral.context);
  await tiersAtIngest(op, customer, event, context, refund);
  const history = new EarnedHistory(reads, opening.earned);
  const evaluation = new RuleEvaluation(op, config, run, event, customer, context, history);
  const warnings = await eventTypeWarnings(tx, op.tenant, config, input.type, rules);
  for (const rule of rules) {
    const decision = await evaluation.decide(rule);
    if (decision === null) continue;
    evaluation.decisions.push(decision);
    if (rule.stop_processing && (decision.outcome === 'issued' || decision.outcome === 'reserved')) break;
  }
  await referral.afterRules((nested, hash, given) =>
    ingestInTransaction(op, { ...run, input: nested, payloadHash: hash, referral: given }),
  );

  await tiersAfterRules(op, customer);

  const outcome: EventOutcome = {
    event_id: event.id,
    customer_id: customer.id,
    enrolled,
    decisions: evaluation.decisions,
    issuance_ids: evaluation.issuances.map((i) => i.id),
    ...(refund === null ? {} : { refund }),
  };
  await tx.events.setOutcome(event.id, outcome);
  return {
    ...outcome,
    replayed: false,
    dry_run: run.dryRun,
    issuances: evaluation.issuances,
    ...(run.dryRun ? { explanations: evaluation.explanations } : {}),
    ...(warnings.length > 0 ? { warnings } : {}),
  };
}

/** The candidate rules of the event, and ingest's opening read (`Tx.openIngest`) for them. */
async function open(op: Operation, run: IngestRun) {
  const config = op.config as TenantConfig;
  const { input } = run;
  const occurredAt = input.occurred_at ?? op.now;
  const rules = (await config.rulesFor(op.tx, input.type)).filter((rule) => withinValidity(rule, occurredAt));
  const reads = EarnedHistory.readsFor(rules, occurredAt, op.tenant.timezone);
  const opening = await op.tx.openIngest(input.idempotency_key, input.customer, reads);
  return { config, rules, reads, opening };
}

async function replay(op: Operation, seen: LoyaltyEvent, run: IngestRun): Promise<IngestResult> {
  if (seen.payload_hash !== run.payloadHash) throw new IdempotencyKeyReusedError(run.input.idempotency_key);
  const outcome = seen.outcome;
  if (outcome === null) throw new Error(`event ${seen.id} has no stored outcome`);
  const issuances: Issuance[] = [];
  for (const id of outcome.issuance_ids) {
    const issuance = await op.tx.issuances.get(id);
    if (issuance !== null) issuances.push(issuance);
  }
  return { ...outcome, replayed: true, dry_run: run.dryRun, issuances };
}

/** The customer the opening read found (locked), or a new one when the tenant enrolls on first sight. */
async function findOrEnrollCustomer(
  op: Operation,
  input: IngestEvent,
  found: Customer | null,
): Promise<{ customer: Customer; enrolled: boolean }> {
  const ref = input.customer;
  if (found !== null) return { customer: found, enrolled: false };
  if (ref.id !== undefined) throw new NotFoundError('customer', ref.id, { reason: 'CUSTOMER_NOT_FOUND' });
  const named = ref.external_ref ?? ref.phone ?? '';
  if (!op.tenant.settings.auto_enroll) {
    throw new NotFoundError('customer', named, {
      reason: 'CUSTOMER_NOT_FOUND',
      hint: 'enroll the customer first, or turn on the tenant setting auto_enroll',
    });
  }
  const customer: Customer = {
    id: op.newId(),
    tenant_id: op.tenant.id,
    phone: ref.phone ?? null,
    external_ref: ref.external_ref ?? null,
    name: ref.name ?? null,
    birthday: ref.birthday ?? null,
    attributes: {},
    tags: [],
    status: 'active',
    enrolled_at: op.now,
    last_event_at: null,
    stats: { ...EMPTY_STATS, counts: {} },
  };
  // Nobody else sees the new row before this transaction commits: it needs no lock.
  await op.tx.customers.insert(customer);
  await emit(op, 'customer.enrolled', { customer });
  return { customer, enrolled: true };
}

function withinValidity(rule: Rule, at: Timestamp): boolean {
  return (
    (rule.valid_from === null || rule.valid_from <= at) &&
    (rule.valid_until === null || at < rule.valid_until)
  );
}

function capWords(cap: Cap): string {
  const per =
    typeof cap.window === 'string'
      ? cap.window === 'lifetime'
        ? 'in total'
        : `per ${cap.window}`
      : `per ${cap.window.rolling}`;
  return `${cap.scope === 'customer' ? 'per-customer' : 'global'} cap of ${cap.max} ${per}`;
}

/** The claim an issuance of `rule` earned at `at` makes on its `index`th cap (a global one). */
export function globalClaim(
  rule: Rule,
  cap: Cap,
  index: number,
  at: Timestamp,
  timeZone: string,
): GlobalCapClaim {
  const window = cap.window;
  const capKey = `${index}:${typeof window === 'string' ? window : `rolling:${window.rolling}`}:${cap.max}`;
  return {
    ruleId: rule.id,
    capKey,
    max: cap.max,
    window:
      window === 'lifetime'
        ? { kind: 'lifetime' }
        : typeof window === 'string'
          ? { kind: 'calendar', key: periodKey(at, window, timeZone) }
          : { kind: 'rolling', since: addMs(at, -durationMs(window.rolling)) },
  };
}

function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Step 6 of ingest for one event: one decision per rule, and the issuances they create. */
class RuleEvaluation {
  readonly decisions: Decision[] = [];
  readonly issuances: Issuance[] = [];
  readonly explanations: RuleExplanation[] = [];

  constructor(
    readonly op: Operation,
    readonly config: TenantConfig,
    readonly run: IngestRun,
    readonly event: LoyaltyEvent,
    readonly customer: Customer,
    readonly context: RuleContext,
    readonly history: EarnedHistory,
  ) {}

  async decide(rule: Rule): Promise<Decision | null> {
    const { op, event } = this;
    const at = event.occurred_at;
    const tz = op.tenant.timezone;
    const decision = (
      outcome: Decision['outcome'],
      reason: string,
      extra: Partial<Decision> = {},
    ): Decision => ({
      rule_id: rule.id,
      rule_name: rule.name,
      outcome,
      reason,
      ...extra,
    });
    const explanation: RuleExplanation = {
      rule_id: rule.id,
      rule_name: rule.name,
      condition: null,
      quantity: null,
    };
    if (this.run.dryRun) this.explanations.push(explanation);

    const campaign = rule.campaign_id === null ? null : await this.config.campaign(op.tx, rule.campaign_id);
    if (rule.campaign_id !== null) {
      const why = campaignInactive(campaign, at);
      if (why !== null) return decision('campaign_inactive', why);
    }

    const env = { now: new Date(at), timeZone: tz };
    const logic = this.run.compiled.get(rule);
    let matched: boolean;
    try {
      if (this.run.dryRun) {
        const tree: ExplainNode = logic.condition.explain(this.context, env);
        explanation.condition = tree;
        matched = isTruthy(tree.value);
      } else {
        matched = isTruthy(logic.condition.evaluate(this.context, env));
      }
    } catch (error) {
      return decision('not_matched', `The condition could not be evaluated: ${describeError(error)}`);
    }
    if (!matched) return decision('not_matched', 'The condition was false');

    if (rule.cooldown !== null) {
      const last = await this.history.lastEarnedAt(op.tx, rule.id, this.customer.id);
      if (last !== null) {
        const until = addMs(last, durationMs(rule.cooldown));
        if (at < until) {
          return decision(
            'cooldown',
            `Cooldown of ${rule.cooldown}: last earned at ${last}, earliest again at ${until}`,
          );
        }
      }
    }

    for (const cap of rule.caps) {
      if (cap.scope !== 'customer') continue;
      const used = await this.history.countEarned(
        op.tx,
        rule.id,
        this.customer.id,
        capWindowStart(cap, at, tz),
      );
      if (used >= cap.max) return decision('cap_reached', `The ${capWords(cap)} is reached (${used} earned)`);
    }

    let quantity: number;
    try {
      const raw = this.run.dryRun ? logic.quantity.explain(this.context, env) : null;
      if (raw !== null) explanation.quantity = raw;
      const value = raw !== null ? raw.value : logic.quantity.evaluate(this.context, env);
      quantity = typeof value === 'number' && Number.isFinite(value) ? Math.floor(value) : Number.NaN;
      if (Number.isNaN(quantity))
        return decision('not_matched', `The quantity formula gave ${JSON.stringify(value)}, not a number`);
    } catch (error) {
      return decision('not_matched', `The quantity formula could not be evaluated: ${describeError(error)}`);
    }
    if (quantity < 1)
      return decision('not_matched', `The quantity formula gave ${quantity}: nothing to give`);
    if (!isAmount(quantity)) {
      return decision(
        'error',
        `The quantity formula gave ${quantity}, past the maximum of ${MAX_AMOUNT}: nothing was given (fix the rule's quantity)`,
      );
    }

    const reward = await this.config.reward(op.tx, rule.reward_id);
    if (reward === null || !reward.active) {
      return decision(
        'not_matched',
        `The reward ${reward === null ? rule.reward_id : `"${reward.name}"`} is not active`,
      );
    }

    // Checked before anything is claimed: an 'error' decision has nothing to give back.
    const cost = quantity * reward.cost;
    if (!isAmount(cost) || !isAmount(quantity * reward.value)) {
      return decision(
        'error',
        `${quantity} × "${reward.name}" is worth more than the maximum of ${MAX_AMOUNT}: nothing was given (fix the rule's quantity or the reward's cost and value)`,
      );
    }

    // Guarded claims, in an order where each failure has only earlier claims to give back.
    const claims: GlobalCapClaim[] = [];
    const giveBack = async (code: string | null) => {
      for (const claim of claims) await op.tx.caps.releaseGlobal(claim);
      if (code !== null) await op.tx.codes.release(reward.id, code);
    };
    for (const [index, cap] of rule.caps.entries()) {
      if (cap.scope !== 'global') continue;
      const claim = globalClaim(rule, cap, index, at, tz);
      if (!(await op.tx.caps.claimGlobal(claim))) {
        await giveBack(null);
        return decision('cap_reached', `The ${capWords(cap)} is reached`);
      }
      claims.push(claim);
    }

    const issuanceId = op.newId();
    let code: string | null = null;
    if (reward.type === 'voucher') {
      code = await op.tx.codes.draw(reward.id, issuanceId);
      if (code === null) {
        await giveBack(null);
        return decision(
          'codes_exhausted',
          `No unused codes are left for "${reward.name}"; upload more codes`,
        );
      }
    }

    const budgetId = rule.budget_id ?? campaign?.budget_id ?? null;
    const budget = budgetId === null ? null : await this.config.budget(op.tx, budgetId);
    // Money is charged to the period of the moment it is committed, never to `occurred_at`: no date
    // a till sends can open a fresh budget period. (A dry run's clock is its event's time.)
    const chargedAt = this.run.dryRun ? at : op.now;
    const period = budget === null ? null : periodKey(chargedAt, budget.period, tz);
    if (budget !== null && !budget.active) {
      await giveBack(code);
      return decision('budget_exhausted', `Budget "${budget.name}" is switched off`);
    }
    if (budget !== null && period !== null) {
      const reserved = await reserveBudget(op, budget, period, issuanceId, cost);
      if (reserved === null) {
        await giveBack(code);
        const left = await op.tx.budgets.getPeriod(budget.id, period);
        const room = left === null ? budget.limit : left.limit - left.reserved - left.utilized - left.spent;
        return decision(
          'budget_exhausted',
          `Budget "${budget.name}" has ${room} left in period ${period}; this reward costs ${cost}`,
        );
      }
    }

    const immediate = reward.issue_mode === 'immediate';
    const issuance: Issuance = {
      id: issuanceId,
      tenant_id: op.tenant.id,
      customer_id: this.customer.id,
      reward_id: reward.id,
      rule_id: rule.id,
      event_id: event.id,
      state: immediate ? 'issued' : 'reserved',
      quantity,
      value: quantity * reward.value,
      cost,
      code,
      budget_id: budget?.id ?? null,
      budget_period: period,
      earned_at: at,
      created_at: op.now,
      issued_at: immediate ? op.now : null,
      expires_at: immediate ? expiryOf(reward, op.now) : null,
      reserve_deadline: immediate ? null : addMs(op.now, durationMs(reward.reservation_ttl)),
      redeemed_at: null,
      cancelled_at: null,
      cancel_reason: null,
    };
    if (immediate && budget !== null && period !== null) {
      // Creation and issue in one step: reserved -> utilized, as DESIGN.md's table says.
      await op.tx.budgets.move(budget.id, period, 'reserved', 'utilized', cost);
      await op.tx.budgets.appendLedger({
        id: op.newId(),
        tenant_id: op.tenant.id,
        budget_id: budget.id,
        period,
        issuance_id: issuanceId,
        kind: 'charge',
        amount: cost,
        from: 'reserved',
        to: 'utilized',
        at: op.now,
      });
    }
    await op.tx.issuances.insert(issuance);
    if (immediate && reward.type === 'points') {
      await creditPoints(op, this.customer.id, issuance.value, issuance.id, at);
    }
    await emit(op, immediate ? 'reward.issued' : 'reward.reserved', issuancePayload(issuance));
    this.issuances.push(issuance);

    const units = `${quantity} × "${reward.name}"`;
    return immediate
      ? decision('issued', `Issued ${units}${code === null ? '' : ` with code ${code}`}`, {
          issuance_id: issuanceId,
          quantity,
        })
      : decision('reserved', `Reserved ${units} for manual issue until ${issuance.reserve_deadline}`, {
          issuance_id: issuanceId,
          quantity,
        });
  }
}

function campaignInactive(campaign: Campaign | null, at: Timestamp): string | null {
  if (campaign === null) return 'The rule belongs to a campaign that no longer exists';
  if (campaign.status !== 'active') return `Campaign "${campaign.name}" is ${campaign.status}`;
  if (campaign.starts_at !== null && at < campaign.starts_at)
    return `Campaign "${campaign.name}" starts at ${campaign.starts_at}`;
  if (campaign.ends_at !== null && at >= campaign.ends_at)
    return `Campaign "${campaign.name}" ended at ${campaign.ends_at}`;
  return null;
}
