/**
 * Referrals (docs/referrals.md): each customer's code, the attribution of a new customer to the
 * code's owner (once, at enrolment), and both sides' rewards after the referee's first qualifying
 * event.
 *
 * Lock order. A referee is always enrolled after its referrer (attribution happens only at the
 * referee's enrolment, with the code of a customer who already exists), so the referrals form a
 * DAG from newer to older customers. Every transaction here locks the referee first and then its
 * referrer: it only ever waits for a customer older than the one it holds, so no two transactions
 * can wait for each other (no deadlock cycle), on PostgreSQL as on the serial stores.
 */
import type { Customer } from '../domain/customer.js';
import type { IngestEvent, LoyaltyEvent } from '../domain/event.js';
import {
  type Referral,
  type ReferralStatus,
  type ReferralSummary,
  referralEventKey,
  referralSettingsOf,
} from '../domain/referral.js';
import { newReferralCode, referralCodeSchema } from '../domain/referral-code.js';
import { NotFoundError, StateConflictError, ValidationError } from '../errors.js';
import { emit, type Operation } from './operation.js';
import { payloadHash } from './payload-hash.js';
import type { IngestResult } from './types.js';

/** What a rule reads as `referral.*`. */
export interface ReferralContext {
  /** `referee` on the events of a referred customer, `referrer` on the referrer's `referral` event, else null. */
  role: 'referee' | 'referrer' | null;
  /** True on the referee's first qualifying event and on the referrer's `referral` event it caused. */
  qualifying: boolean;
  status: ReferralStatus | null;
  referrer_id: string | null;
  referee_id: string | null;
  code: string | null;
}

/** The context of a customer nobody referred. */
export const NO_REFERRAL: ReferralContext = Object.freeze({
  role: null,
  qualifying: false,
  status: null,
  referrer_id: null,
  referee_id: null,
  code: null,
}) as ReferralContext;

/** How many random codes to try before giving up (a collision is one in ~10^11 per try). */
const CODE_ATTEMPTS = 8;

/** The customer's referral code, made (once, even under concurrent first requests) when it has none. */
export async function ensureReferralCode(op: Operation, customerId: string): Promise<string> {
  const { referrals } = op.tx;
  for (let attempt = 0; attempt < CODE_ATTEMPTS; attempt++) {
    const existing = await referrals.codeOf(customerId);
    if (existing !== null) return existing.code;
    const row = {
      tenant_id: op.tenant.id,
      customer_id: customerId,
      code: newReferralCode(),
      created_at: op.now,
    };
    if (await referrals.insertCode(row)) return row.code;
    // Another customer holds the code, or a concurrent request gave this customer one: read again.
  }
  throw new StateConflictError('Could not make a unique referral code; try again', { field: 'code' });
}

function refusal(field: string, message: string, code: string): ValidationError {
  return new ValidationError(`Invalid ${field}: ${message}`, [{ path: field, message, code }]);
}

function conflict(field: string, message: string, details: Record<string, unknown> = {}): StateConflictError {
  return new StateConflictError(message, { field, ...details, issues: [{ path: field, message }] });
}

/**
 * Attributes `referee` to the owner of `rawCode`, at its enrolment (`enrolled`), in the
 * operation's transaction; `field` names the input field in errors (`referral_code`,
 * `customer.referral_code`). The referee is new or already locked by the caller; the referrer is
 * locked here (newer before older, see the top of this file). The code that already attributed
 * this customer, given again after enrolment, is a no-op. Refusals, each naming the field:
 * an unknown code (`VALIDATION_ERROR`), a self-referral (`VALIDATION_ERROR`), a customer already
 * attributed or past enrolment, a referrer blocked or erased, a referrer at its cap
 * (`STATE_CONFLICT`). Writes the attribution and a `referral.attributed` outbox row.
 */
export async function attributeReferral(
  op: Operation,
  referee: Customer,
  rawCode: string,
  field: string,
  enrolled: boolean,
): Promise<Referral> {
  const parsed = referralCodeSchema.safeParse(rawCode);
  if (!parsed.success) throw refusal(field, 'is not a referral code', 'invalid_referral_code');
  const code = parsed.data;
  const { referrals, customers } = op.tx;
  const owner = await referrals.findCode(code);
  if (owner === null) throw refusal(field, 'no customer has this referral code', 'unknown_referral_code');
  if (owner.customer_id === referee.id) {
    throw refusal(
      field,
      'is the customer’s own referral code: a customer cannot refer themselves',
      'self_referral',
    );
  }
  const already = await referrals.get(referee.id);
  // The same code again on a later event of a customer it already attributed (a till that sends
  // it on every event, or a concurrent enrolment that lost the race and was retried) changes
  // nothing: it is not a second attribution.
  if (already !== null && !enrolled && already.referrer_id === owner.customer_id) return already;
  if (already !== null) {
    throw conflict(field, 'this customer was already referred: a customer is attributed once', {
      referrer_id: already.referrer_id,
    });
  }
  if (!enrolled) {
    throw conflict(
      field,
      'a referral code counts only when it enrolls the customer; this customer is enrolled already',
    );
  }
  const referrer = await customers.lock(owner.customer_id);
  if (referrer === null || referrer.status !== 'active') {
    throw conflict(
      field,
      `the customer who owns this code is ${referrer?.status ?? 'gone'} and cannot refer anyone`,
      {
        state: referrer?.status ?? null,
      },
    );
  }
  const { max_per_referrer: max } = referralSettingsOf(op.tenant.settings);
  const referral: Referral = {
    tenant_id: op.tenant.id,
    referee_id: referee.id,
    referrer_id: referrer.id,
    code,
    status: 'pending',
    attributed_at: op.now,
    qualified_at: null,
    qualifying_event_id: null,
    rejected_at: null,
    rejected_reason: null,
  };
  const outcome = await referrals.attribute(referral, max);
  if (outcome === 'already_attributed') {
    throw conflict(field, 'this customer was already referred: a customer is attributed once');
  }
  if (outcome === 'cap_reached') {
    throw conflict(field, `the owner of this code has reached the tenant's cap of ${max} referrals`, {
      cap: max,
    });
  }
  if (outcome === 'no_code') throw new NotFoundError('referral code', code);
  await emit(op, 'referral.attributed', {
    referee_id: referee.id,
    referrer_id: referrer.id,
    code,
    attributed_at: op.now,
  });
  return referral;
}

/** A nested ingest in the same transaction (ingest passes its own `ingestInTransaction`). */
export type NestedIngest = (
  input: IngestEvent,
  payloadHash: string,
  referral: ReferralContext,
) => Promise<IngestResult>;

/** What ingest gets back from {@link referralStep}. */
export interface ReferralStep {
  /** The `referral.*` variables of this event's rule context. */
  context: ReferralContext;
  /** After this event's rules: the referrer's `referral` event when this event qualified. */
  afterRules(ingest: NestedIngest): Promise<void>;
}

const NOTHING_AFTER = async (): Promise<void> => {};

function qualifies(op: Operation, event: LoyaltyEvent): boolean {
  const settings = referralSettingsOf(op.tenant.settings);
  if (!settings.qualifying_event_types.includes(event.type)) return false;
  if (settings.min_amount === null) return true;
  const amount = event.data.amount;
  return typeof amount === 'number' && amount >= settings.min_amount;
}

/**
 * The referral part of one ingested event, run with the customer locked and the event stored:
 * attributes the customer when the event enrolled it with `customer.referral_code`; qualifies a
 * pending attribution on the customer's first qualifying event (or rejects it when the referrer
 * can no longer be rewarded); and answers the `referral.*` context. `given` is set on the
 * referrer's own `referral` event, which this function caused one level up.
 */
export async function referralStep(
  op: Operation,
  input: IngestEvent,
  event: LoyaltyEvent,
  customer: Customer,
  enrolled: boolean,
  given: ReferralContext | undefined,
  /** The customer's referral as ingest's opening read found it. */
  opened: Referral | null,
): Promise<ReferralStep> {
  if (given !== undefined) return { context: given, afterRules: NOTHING_AFTER };
  const code = input.customer.referral_code;
  if (code !== undefined) await attributeReferral(op, customer, code, 'customer.referral_code', enrolled);
  // A code just attributed may have made the referral the opening read did not see.
  const referral = code === undefined ? opened : await op.tx.referrals.get(customer.id);
  if (referral === null) return { context: NO_REFERRAL, afterRules: NOTHING_AFTER };
  const base: ReferralContext = {
    role: 'referee',
    qualifying: false,
    status: referral.status,
    referrer_id: referral.referrer_id,
    referee_id: referral.referee_id,
    code: referral.code,
  };
  if (referral.status !== 'pending' || !qualifies(op, event))
    return { context: base, afterRules: NOTHING_AFTER };

  // Referee (locked by ingest) before referrer: see the top of this file.
  const referrer = await op.tx.customers.lock(referral.referrer_id);
  if (referrer === null || referrer.status !== 'active') {
    const reason = `the referrer is ${referrer?.status ?? 'gone'}`;
    const rejected = await op.tx.referrals.reject(customer.id, reason, op.now);
    return { context: { ...base, status: rejected?.status ?? base.status }, afterRules: NOTHING_AFTER };
  }
  const qualified = await op.tx.referrals.qualify(customer.id, event.id, op.now);
  if (qualified === null) return { context: base, afterRules: NOTHING_AFTER };
  const context: ReferralContext = { ...base, status: 'qualified', qualifying: true };
  return {
    context,
    async afterRules(ingest) {
      // The key is derived from the referee: the referrer's reward event exists once, ever.
      const nested: IngestEvent = {
        idempotency_key: referralEventKey(customer.id),
        type: 'referral',
        occurred_at: event.occurred_at,
        customer: { id: referrer.id },
        data: { referee_id: customer.id, code: referral.code, qualifying_event_id: event.id },
      };
      const result = await ingest(nested, payloadHash(nested), { ...context, role: 'referrer' });
      await emit(op, 'referral.qualified', {
        referee_id: customer.id,
        referrer_id: referrer.id,
        code: referral.code,
        qualified_at: op.now,
        qualifying_event_id: event.id,
        referrer_event_id: result.event_id,
        referrer_issuance_ids: result.issuance_ids,
      });
    },
  };
}

/** `GET /customers/:cid/referral`: the customer's code (made on first request), who referred them, whom they referred. */
export async function referralSummary(op: Operation, customerId: string): Promise<ReferralSummary> {
  const customer = await op.tx.customers.get(customerId);
  if (customer === null) throw new NotFoundError('customer', customerId);
  if (customer.status === 'erased') {
    throw new StateConflictError('This customer was erased', { state: 'erased' });
  }
  const code = await ensureReferralCode(op, customer.id);
  const by = await op.tx.referrals.get(customer.id);
  const counts = await op.tx.referrals.countsFor(customer.id);
  const { max_per_referrer: max } = referralSettingsOf(op.tenant.settings);
  return {
    customer_id: customer.id,
    code,
    referred_by:
      by === null
        ? null
        : {
            referrer_id: by.referrer_id,
            code: by.code,
            status: by.status,
            attributed_at: by.attributed_at,
            qualified_at: by.qualified_at,
            rejected_reason: by.rejected_reason,
          },
    referred: {
      ...counts,
      remaining: max === null ? null : Math.max(0, max - counts.pending - counts.qualified),
    },
  };
}
