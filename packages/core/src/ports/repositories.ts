/**
 * The repositories a {@link Tx} hands to the engine. Each is scoped to the transaction's tenant.
 * Methods named for the domain; where a method is a concurrency guard its contract is written in
 * MUST / MUST NOT words, and every adapter meets it natively.
 *
 * Lists return rows newest first (ordered by id, a UUIDv7, descending); `cursor` is the opaque
 * `next_cursor` of the previous page ({@link encodeCursor}); a page never skips or repeats a
 * row because of rows inserted meanwhile.
 */
import type { ApiKey, IdempotencyRecord } from '../domain/api-key.js';
import type { AuditEntry, AuditListFilter } from '../domain/audit.js';
import type { Budget, BudgetLedgerEntry, BudgetPeriod } from '../domain/budget.js';
import type { Campaign } from '../domain/campaign.js';
import type { Page, PageRequest } from '../domain/common.js';
import type { Customer, CustomerStatus } from '../domain/customer.js';
import type { EventOutcome, LoyaltyEvent } from '../domain/event.js';
import type { Issuance } from '../domain/issuance.js';
import type { BudgetCounter, IssuanceState } from '../domain/issuance-state.js';
import type { OutboxEvent } from '../domain/outbox.js';
import type { PointsLedgerEntry, PointsLot } from '../domain/points.js';
import type { Referral, ReferralCode, ReferralCounts } from '../domain/referral.js';
import type { RefundListFilter, RefundRecord } from '../domain/refund.js';
import type { Reward } from '../domain/reward.js';
import type { Rule } from '../domain/rule.js';
import type { Tenant } from '../domain/tenant.js';
import type { UssdSettings } from '../domain/ussd.js';
import type { WebhookAttempt, WebhookDelivery, WebhookSubscription } from '../domain/webhook.js';
import type {
  WhatsAppConversation,
  WhatsAppMessage,
  WhatsAppReceiptStatus,
  WhatsAppSettings,
} from '../domain/whatsapp.js';
import type { Timestamp } from '../time.js';

/** The transaction's tenant with its configuration version ({@link TenantRepository.getVersioned}). */
export interface VersionedTenant {
  tenant: Tenant;
  configVersion: number;
}

export interface TenantRepository {
  /** Throws `UniqueViolationError` (field `id`) when the tenant exists. */
  insert(tenant: Tenant): Promise<void>;
  /** The transaction's own tenant. */
  get(): Promise<Tenant | null>;
  /**
   * The transaction's own tenant and its configuration version, in one read: an integer that
   * MUST grow, in the same transaction, with every insert, update or delete of the tenant's
   * rules, rewards, campaigns, budgets (their definitions: not budget periods or ledgers) and tier
   * programme, and every {@link update} of the tenant itself, whichever process writes; and MUST NOT change
   * otherwise (ingest's own writes: customers, events, budget periods, issuances, points...).
   * The engine caches the tenant's configuration across transactions under this version.
   */
  getVersioned(): Promise<VersionedTenant | null>;
  /** Writes name, timezone and settings (and bumps the configuration version). */
  update(tenant: Tenant): Promise<void>;
}

export interface CustomerListFilter {
  status?: CustomerStatus;
  tag?: string;
  /**
   * A search (1–100 characters), see {@link customerMatchesSearch}: the phone contains the digits of
   * `q` (only when it has 3 or more), or `external_ref` starts with `q`, or `name` contains `q`
   * (both case-insensitive: ASCII letters on SQLite). `%` and `_` match themselves.
   */
  q?: string;
}

export interface CustomerRepository {
  /** Throws `UniqueViolationError` (field `phone` or `external_ref`) when either is taken. */
  insert(customer: Customer): Promise<void>;
  get(id: string): Promise<Customer | null>;
  findByExternalRef(externalRef: string): Promise<Customer | null>;
  findByPhone(phone: string): Promise<Customer | null>;
  /**
   * Reads the customer and locks it until the transaction ends: another transaction's `lock` of
   * the same customer MUST wait (PostgreSQL: `SELECT ... FOR UPDATE`). This serialises one
   * customer's events, which is what makes cooldowns and per-customer caps exact.
   */
  lock(id: string): Promise<Customer | null>;
  /**
   * Writes the profile: phone, external_ref, name, birthday, attributes, tags, status. MUST NOT
   * write `stats`, `enrolled_at` or `last_event_at`. Throws `UniqueViolationError` like insert.
   */
  updateProfile(customer: Customer): Promise<void>;
  /**
   * Counts one event: `stats.counts[type] += 1`, `stats.total_spend += spend`,
   * `last_event_at = max(last_event_at, at)`, atomically; returns the customer after.
   */
  recordEvent(id: string, type: string, spend: number, at: Timestamp): Promise<Customer>;
  /**
   * Adds `delta` (may be negative) to `stats.points_balance`. MUST apply only while the balance
   * after is >= 0 (a guarded `UPDATE ... WHERE points_balance + delta >= 0 RETURNING`); returns the
   * new balance, or null when the balance does not cover the debit (nothing changed).
   */
  adjustPointsBalance(id: string, delta: number): Promise<number | null>;
  list(filter: CustomerListFilter, page: PageRequest): Promise<Page<Customer>>;
  /**
   * Active customers whose `birthday` has month and day `monthDay` (`MM-DD`), newest first. An
   * exact match only: the caller asks for `02-29` on Feb 28 of a non-leap year.
   */
  listBirthdays(monthDay: string, page: PageRequest): Promise<Page<Customer>>;
  /**
   * Active customers without an event since `before`: `last_event_at < before`, or no event ever
   * and `enrolled_at < before`. Newest first.
   */
  listInactive(before: Timestamp, page: PageRequest): Promise<Page<Customer>>;
}

export interface EventListFilter {
  customer_id?: string;
  type?: string;
}

export interface EventRepository {
  findByIdempotencyKey(key: string): Promise<LoyaltyEvent | null>;
  /**
   * Throws `UniqueViolationError` (field `idempotency_key`) when the key is taken, including by a
   * concurrent transaction that commits first (PostgreSQL waits on the unique index, then fails).
   * A store MAY send the row with a later statement of the transaction: the error then comes from
   * that statement, at the latest from the commit, and fails the transaction.
   */
  insert(event: LoyaltyEvent): Promise<void>;
  /** Stores the outcome; it MUST come back with its keys in the same order (a replay is byte-identical). */
  setOutcome(id: string, outcome: EventOutcome): Promise<void>;
  get(id: string): Promise<LoyaltyEvent | null>;
  list(filter: EventListFilter, page: PageRequest): Promise<Page<LoyaltyEvent>>;
}

export interface RuleRepository {
  insert(rule: Rule): Promise<void>;
  get(id: string): Promise<Rule | null>;
  /** Writes `rule` only while the stored version is `expectedVersion`; false when it moved on. */
  update(rule: Rule, expectedVersion: number): Promise<boolean>;
  delete(id: string): Promise<boolean>;
  list(page: PageRequest): Promise<Page<Rule>>;
  /** Active rules whose `event_types` include `type`, by priority ascending then id ascending. */
  listActiveForEventType(type: string): Promise<Rule[]>;
}

export interface RewardRepository {
  insert(reward: Reward): Promise<void>;
  get(id: string): Promise<Reward | null>;
  update(reward: Reward): Promise<void>;
  list(page: PageRequest): Promise<Page<Reward>>;
}

export interface CodePoolRepository {
  /** Adds codes to a reward's pool; codes already in the pool are skipped and returned. */
  add(rewardId: string, codes: string[], at: Timestamp): Promise<{ added: number; duplicates: string[] }>;
  /**
   * Hands one free code of the pool to `issuanceId`. A code MUST be handed to at most one
   * issuance, even under concurrent draws (PostgreSQL: `FOR UPDATE SKIP LOCKED`); returns null
   * when no free code is left.
   */
  draw(rewardId: string, issuanceId: string): Promise<string | null>;
  counts(rewardId: string): Promise<{ available: number; used: number }>;
  /** Returns a drawn code to the pool (the issuance it was drawn for is not being created after all). */
  release(rewardId: string, code: string): Promise<void>;
  /**
   * Every pool entry holding exactly `code` (one per reward whose pool has it), with the
   * issuance it was handed to (null while free). Read-only.
   */
  find(code: string): Promise<Array<{ reward_id: string; issuance_id: string | null }>>;
}

export interface IssuanceListFilter {
  customer_id?: string;
  rule_id?: string;
  reward_id?: string;
  state?: IssuanceState;
}

export interface IssuanceRepository {
  insert(issuance: Issuance): Promise<void>;
  get(id: string): Promise<Issuance | null>;
  getByCode(code: string): Promise<Issuance | null>;
  /**
   * Compare-and-set: writes `next` (same id) only while the stored state is `from`. Returns the
   * row after, or null when the state had moved on (a concurrent redeem, cancel or expiry won).
   */
  transition(next: Issuance, from: IssuanceState): Promise<Issuance | null>;
  list(filter: IssuanceListFilter, page: PageRequest): Promise<Page<Issuance>>;
  /** Issuances of `ruleId` (any state) earned at or after `since` (null: ever), for one customer or all. */
  countEarned(ruleId: string, customerId: string | null, since: Timestamp | null): Promise<number>;
  /** The latest `earned_at` of the customer's issuances of `ruleId` (any state), or null. */
  lastEarnedAt(ruleId: string, customerId: string): Promise<Timestamp | null>;
  /**
   * Up to `limit` issuances due at `now`: issued with `expires_at <= now`, and reserved with
   * `reserve_deadline <= now`, oldest first. SHOULD skip rows another transaction has locked
   * (PostgreSQL: `FOR UPDATE SKIP LOCKED`) so several workers share the work.
   */
  listDue(now: Timestamp, limit: number): Promise<Issuance[]>;
}

export interface BudgetReservation {
  budgetId: string;
  period: string;
  /** The limit of the period row if this call creates it. */
  defaultLimit: number;
  amount: number;
  hardCap: boolean;
}

export interface BudgetRepository {
  insert(budget: Budget): Promise<void>;
  get(id: string): Promise<Budget | null>;
  update(budget: Budget): Promise<void>;
  list(page: PageRequest): Promise<Page<Budget>>;
  getPeriod(budgetId: string, period: string): Promise<BudgetPeriod | null>;
  /** The budget's periods, newest key first. */
  listPeriods(budgetId: string): Promise<BudgetPeriod[]>;
  /**
   * Adds `amount` to the period's `reserved`, creating the period row (with `defaultLimit`) if it
   * does not exist. With `hardCap` it MUST apply only while
   * `reserved + utilized + spent + amount <= limit`, atomically (a guarded
   * `UPDATE ... WHERE <room left> RETURNING`), and returns null — changing nothing — when there is
   * no room. It MUST NOT overshoot under any interleaving. Returns the period after.
   */
  reserve(reservation: BudgetReservation): Promise<BudgetPeriod | null>;
  /**
   * Moves `amount` out of counter `from` into counter `to` (null: out of the budget), atomically.
   * MUST NOT let a counter go negative: throws when `from` holds less than `amount`.
   */
  move(
    budgetId: string,
    period: string,
    from: BudgetCounter,
    to: BudgetCounter | null,
    amount: number,
  ): Promise<BudgetPeriod>;
  /** Raises the period's limit by `amount`, creating the period row with `defaultLimit` first if needed. */
  topUp(budgetId: string, period: string, defaultLimit: number, amount: number): Promise<BudgetPeriod>;
  /**
   * Sets the period's `threshold_notified` or `exhausted_notified`. MUST return true to exactly
   * one caller per period and kind (a guarded `UPDATE ... WHERE NOT notified RETURNING`).
   */
  markNotified(budgetId: string, period: string, kind: 'threshold' | 'exhausted'): Promise<boolean>;
  appendLedger(entry: BudgetLedgerEntry): Promise<void>;
  listLedger(budgetId: string, period: string | null, page: PageRequest): Promise<Page<BudgetLedgerEntry>>;
}

export interface PointsRepository {
  insertLot(lot: PointsLot): Promise<void>;
  /**
   * Takes `amount` points from the customer's lots with `remaining > 0`, those expiring first
   * (`expires_at` ascending, never-expiring last, then `earned_at`), and returns what it took per
   * lot. The caller has debited the balance with `customers.adjustPointsBalance` in the same
   * transaction; throws when the lots hold less than `amount`.
   */
  consumeLots(customerId: string, amount: number): Promise<Array<{ lot_id: string; amount: number }>>;
  /** Lots with `remaining > 0` and `expires_at <= now`, oldest first, up to `limit`. */
  listDueLots(now: Timestamp, limit: number): Promise<PointsLot[]>;
  /** Sets a lot's `remaining` to 0 and returns what it held (0 if it was already empty). */
  expireLot(lotId: string): Promise<number>;
  listLots(customerId: string): Promise<PointsLot[]>;
  appendLedger(entry: PointsLedgerEntry): Promise<void>;
  listLedger(customerId: string, page: PageRequest): Promise<Page<PointsLedgerEntry>>;
  /**
   * The sum of the signed `amount` of the customer's ledger rows that carry `issuanceId`: what a
   * points reward still holds on the balance (its earn minus what was clawed back), or, negative,
   * what a reward bought with points cost net of what was given back. 0 when there is none.
   */
  netForIssuance(customerId: string, issuanceId: string): Promise<number>;
}

export interface CampaignRepository {
  insert(campaign: Campaign): Promise<void>;
  get(id: string): Promise<Campaign | null>;
  update(campaign: Campaign): Promise<void>;
  list(page: PageRequest): Promise<Page<Campaign>>;
}

/** Which window a global cap counts in. */
export type GlobalCapWindow =
  | { kind: 'calendar'; key: string }
  | { kind: 'lifetime' }
  | { kind: 'rolling'; since: Timestamp };

/**
 * The key of a calendar or lifetime window's counter (`calendar:2026-W44`, `lifetime`): one format
 * on every store, so that the same data means the same on each. Rolling windows have no counter.
 */
export function capWindowKey(window: GlobalCapWindow): string {
  return window.kind === 'calendar' ? `calendar:${window.key}` : window.kind;
}

export interface GlobalCapClaim {
  ruleId: string;
  /** Identifies the cap within the rule (stable while the rule's caps are unchanged). */
  capKey: string;
  window: GlobalCapWindow;
  max: number;
}

export interface CapRepository {
  /**
   * Claims one use of a global cap. MUST return true (and count the use) only while fewer than
   * `max` uses were claimed in the window, and MUST NOT overshoot under concurrency: calendar and
   * lifetime windows use a guarded counter per (rule, cap, window key) changed by
   * `UPDATE ... WHERE count < max RETURNING`; rolling windows lock the (rule, cap) counter row and
   * count the rule's issuances with `earned_at >= since`. Returns false when the cap is reached.
   */
  claimGlobal(claim: GlobalCapClaim): Promise<boolean>;
  /**
   * Gives back one use claimed earlier in the same transaction (the issuance it was claimed for is
   * not being created after all): calendar and lifetime counters go down by one, never below 0;
   * rolling windows need nothing (they count issuances).
   */
  releaseGlobal(claim: GlobalCapClaim): Promise<void>;
}

export interface WebhookRepository {
  insert(subscription: WebhookSubscription): Promise<void>;
  get(id: string): Promise<WebhookSubscription | null>;
  update(subscription: WebhookSubscription): Promise<void>;
  delete(id: string): Promise<boolean>;
  list(page: PageRequest): Promise<Page<WebhookSubscription>>;
  /**
   * Sets `active = false` and `disabled_reason`, only while the subscription is active (a guarded
   * `UPDATE ... WHERE active`); true when this call disabled it. MUST NOT touch any other column,
   * so that it never undoes a concurrent change of the URL or the secret.
   */
  disable(id: string, reason: string, at: Timestamp): Promise<boolean>;
  /**
   * Counts one finished delivery, atomically (`failure_count = CASE WHEN failed THEN
   * failure_count + 1 ELSE 0 END ... RETURNING`): concurrent workers MUST NOT lose a count.
   * Returns the new `failure_count`, or null when the subscription does not exist.
   */
  countDelivery(id: string, failed: boolean): Promise<number | null>;
}

export interface OutboxRepository {
  /** Stores the event undispatched (`dispatched_at` null). */
  append(event: OutboxEvent): Promise<void>;
  list(page: PageRequest): Promise<Page<OutboxEvent>>;
  /**
   * Up to `limit` events not yet fanned out to deliveries (`dispatched_at` null), oldest first
   * (id ascending), locked until the transaction ends. A row returned to one transaction MUST NOT
   * be returned to a concurrent one (PostgreSQL: `FOR UPDATE SKIP LOCKED`); the caller marks the
   * rows dispatched in the same transaction, so each event is fanned out exactly once.
   */
  claimUndispatched(limit: number): Promise<OutboxEvent[]>;
  /** Sets `dispatched_at = at` on the given events (of this tenant; unknown ids are ignored). */
  markDispatched(ids: readonly string[], at: Timestamp): Promise<void>;
}

export interface WebhookDeliveryRepository {
  /** Throws `UniqueViolationError` (field `id`) when the id is taken. */
  insert(delivery: WebhookDelivery): Promise<void>;
  get(id: string): Promise<WebhookDelivery | null>;
  /**
   * Leases up to `limit` deliveries due at `now`: `status = 'pending'`, `next_attempt_at <= now`
   * and `locked_until` null or `< now`, the earliest due first; sets `locked_until = now +
   * leaseMs` and returns the rows after. Atomic: a delivery returned by one call MUST NOT be
   * returned by any other call, concurrent or later, before its lease ends (PostgreSQL:
   * `UPDATE ... WHERE id IN (SELECT ... FOR UPDATE SKIP LOCKED) RETURNING`).
   */
  claimDue(now: Timestamp, limit: number, leaseMs: number): Promise<WebhookDelivery[]>;
  /**
   * Writes the delivery's progress: `status, attempts, next_attempt_at, locked_until, last_status,
   * last_error, updated_at` (never its payload or references).
   */
  update(delivery: WebhookDelivery): Promise<void>;
  /**
   * Gives up every pending delivery of the subscription: `status = 'failed'`, `next_attempt_at`
   * and `locked_until` null, `last_error = reason`. Returns how many.
   */
  failPending(subscriptionId: string, reason: string, at: Timestamp): Promise<number>;
  /** The subscription's deliveries, newest first. */
  listForSubscription(subscriptionId: string, page: PageRequest): Promise<Page<WebhookDelivery>>;
  appendAttempt(attempt: WebhookAttempt): Promise<void>;
  /** The attempts of the given deliveries, oldest first (by `at`, then id). */
  listAttempts(deliveryIds: readonly string[]): Promise<WebhookAttempt[]>;
}

export interface ApiKeyRepository {
  /** Throws `UniqueViolationError` (field `key_hash`) on a hash collision. */
  insert(key: ApiKey): Promise<void>;
  get(id: string): Promise<ApiKey | null>;
  /** Sets `revoked_at` if not yet revoked; false when the key does not exist or was revoked. */
  revoke(id: string, at: Timestamp): Promise<boolean>;
  list(page: PageRequest): Promise<Page<ApiKey>>;
}

export interface IdempotencyRepository {
  /**
   * The stored record of `key`, or null. On a store with parallel transactions it MUST also hold
   * the key until this transaction ends (PostgreSQL: a transaction-scoped advisory lock on tenant
   * and key), so that a concurrent request with the same key waits and then finds the record
   * instead of running its effects a second time.
   */
  get(key: string): Promise<IdempotencyRecord | null>;
  /** Throws `UniqueViolationError` (field `key`) when the key is taken, as `events.insert` does. */
  put(record: IdempotencyRecord): Promise<void>;
  /** Deletes records created before `before`; returns how many. */
  purge(before: Timestamp): Promise<number>;
}

/**
 * A tenant's WhatsApp channel: its Cloud API settings, the messages received and sent, and one
 * conversation state per customer phone. Phones are international digits without `+`.
 */
export interface WhatsAppRepository {
  getSettings(): Promise<WhatsAppSettings | null>;
  /**
   * Inserts or replaces this tenant's settings. Throws `UniqueViolationError` (field
   * `phone_number_id` or `verify_token`) when another tenant already uses the value, including a
   * concurrent transaction that commits first.
   */
  putSettings(settings: WhatsAppSettings): Promise<void>;
  /** False when there were none. */
  deleteSettings(): Promise<boolean>;
  /**
   * Records an inbound message; false (and nothing written) when this tenant already recorded a
   * message with the same `wa_message_id` (Meta redelivers). MUST hold under concurrent
   * redeliveries: exactly one caller gets true (a unique index, `INSERT ... ON CONFLICT DO NOTHING`).
   */
  recordInbound(message: WhatsAppMessage): Promise<boolean>;
  /**
   * Inserts an outbound message (any status: queued, sent, skipped, failed). Throws
   * `UniqueViolationError` (field `id` or `wa_message_id`) when either is taken.
   */
  insertOutbound(message: WhatsAppMessage): Promise<void>;
  /** Replaces an outbound message by id (after an attempt); an unknown id changes nothing. */
  updateOutbound(message: WhatsAppMessage): Promise<void>;
  /**
   * A status receipt for the outbound message with this `wa_message_id`. Status only moves
   * forward (sent < delivered < read; `failed` from sent/delivered, see `WHATSAPP_RECEIPT_FROM`),
   * atomically (a guarded `UPDATE ... WHERE status IN (...)`); a late or repeated receipt changes
   * nothing. An applied receipt sets `updated_at = at` (and `error` for `failed`). Returns the
   * message after the update, or null when no outbound message has this id.
   */
  applyStatus(
    waMessageId: string,
    status: WhatsAppReceiptStatus,
    at: Timestamp,
    error: string | null,
  ): Promise<WhatsAppMessage | null>;
  /**
   * Claims up to `limit` outbound messages with status `queued`, `next_attempt_at <= now` and no
   * live lease (`locked_until` null or `< now`), oldest (smallest id) first, setting
   * `locked_until = now + leaseMs`, and returns them after. A message returned by one call MUST
   * NOT be returned by any other call, concurrent or later, before its lease ends (PostgreSQL:
   * `FOR UPDATE SKIP LOCKED`).
   */
  claimQueued(now: Timestamp, limit: number, leaseMs: number): Promise<WhatsAppMessage[]>;
  /** Newest first; cursor pagination like the other list methods; optional filter by phone. */
  listMessages(page: PageRequest & { phone?: string | undefined }): Promise<Page<WhatsAppMessage>>;
  getConversation(phone: string): Promise<WhatsAppConversation | null>;
  /** Inserts or replaces the conversation of `conversation.phone`. */
  putConversation(conversation: WhatsAppConversation): Promise<void>;
  /**
   * Deletes the conversation and every message of this phone (customer erasure). Returns the
   * number of messages deleted.
   */
  forgetPhone(phone: string): Promise<number>;
}

/** A tenant's USSD channel settings (one row per tenant). */
export interface UssdRepository {
  getSettings(): Promise<UssdSettings | null>;
  /**
   * Inserts or replaces this tenant's settings. Throws `UniqueViolationError` (field
   * `service_code`) when another tenant already uses the service code, including a concurrent
   * transaction that commits first (a unique index on the code alone); nothing is written then,
   * and the transaction stays usable.
   */
  putSettings(settings: UssdSettings): Promise<void>;
  /** False when there were none. */
  deleteSettings(): Promise<boolean>;
}

/** One bucket of an analytics query: the instants `start <= at < end` (one local day, usually). */
export interface TimeBucket {
  start: Timestamp;
  end: Timestamp;
}

/** What happened in one {@link TimeBucket}. */
export interface BucketActivity {
  /** Events whose `occurred_at` is in the bucket. */
  events: number;
  /** Customers whose `enrolled_at` is in the bucket. */
  enrolments: number;
  /** Issuances (any state) whose `created_at` is in the bucket. */
  issued: number;
  /** Issuances whose `redeemed_at` is in the bucket. */
  redeemed: number;
  /** Sum of the points ledger's `earn` amounts in the bucket. */
  points_earned: number;
  /** Sum of the points ledger's `redeem` amounts in the bucket, as a positive number. */
  points_spent: number;
  /** Sum of the points ledger's `expire` amounts in the bucket, as a positive number. */
  points_expired: number;
}

/** The net amount charged to one budget in one bucket: its `reserve` rows minus its `release` rows. */
export interface BudgetBucketCharge {
  budget_id: string;
  /** The index of the bucket in the list the query was given. */
  bucket: number;
  amount: number;
}

/** How many issuances one rule created; `name` is null when the rule has been deleted since. */
export interface RuleIssuedCount {
  rule_id: string;
  name: string | null;
  issued: number;
}

/**
 * Aggregates for the merchant console, computed by the store (SQL `count` and `sum`, never rows
 * loaded into the application). `buckets` are ascending and do not overlap; a method answers for
 * every bucket it is given, in the same order.
 */
export interface AnalyticsRepository {
  /** Per bucket: events, enrolments, issuances created and redeemed, points earned, spent, expired. */
  activity(buckets: readonly TimeBucket[]): Promise<BucketActivity[]>;
  /**
   * Per budget and bucket, the net amount charged: the sum of the budget ledger's `reserve`
   * amounts minus its `release` amounts whose `at` is in the bucket (moves between counters,
   * `charge` and `spend`, and top-ups are not charges). Only the (budget, bucket) pairs with at
   * least one such ledger row are answered, ordered by budget id then bucket.
   */
  budgetCharges(buckets: readonly TimeBucket[]): Promise<BudgetBucketCharge[]>;
  /** The latest `at` of a `reserve` row of the budget's `period`, or null. */
  lastCharge(budgetId: string, period: string): Promise<Timestamp | null>;
  /**
   * Up to `limit` rules by the number of issuances with a `rule_id` created in `[start, end)`,
   * most first; ties by name (a deleted rule sorts as `(deleted rule)`, binary order), then rule id.
   */
  topRules(start: Timestamp, end: Timestamp, limit: number): Promise<RuleIssuedCount[]>;
  /** The sum of every customer's `stats.points_balance` now. */
  pointsLiability(): Promise<number>;
}

/** What refunds reversed, one row per refund event (see docs/refunds.md). */
export interface RefundRepository {
  /** Throws `UniqueViolationError` (field `id`) when the refund event already has its row. */
  insert(record: RefundRecord): Promise<void>;
  /**
   * Every refund of `originalEventId`, oldest first. The caller holds the customer's lock, which
   * serialises the refunds of one original (they belong to its customer).
   */
  listForOriginal(originalEventId: string): Promise<RefundRecord[]>;
  get(id: string): Promise<RefundRecord | null>;
  /** Newest first, cursor pagination like the other lists. */
  list(filter: RefundListFilter, page: PageRequest): Promise<Page<RefundRecord>>;
}

/**
 * The audit trail (`audit_log`): appended in the transaction of the change it records, so that a
 * row exists exactly when its change committed (a rolled-back transaction leaves none).
 */
export interface AuditRepository {
  /** Stores one row of this tenant. Throws `UniqueViolationError` (field `id`) when the id is taken. */
  append(entry: AuditEntry): Promise<void>;
  /**
   * This tenant's rows matching every given filter (`from <= at < to`), newest first (id
   * descending, UUIDv7), keyset-paginated by id.
   */
  list(filter: AuditListFilter, page: PageRequest): Promise<Page<AuditEntry>>;
  /** Deletes this tenant's rows with `at < before`; returns how many went. */
  purge(before: Timestamp): Promise<number>;
}

/** Why {@link ReferralRepository.attribute} wrote nothing, or that it wrote. */
export type AttributionOutcome = 'attributed' | 'already_attributed' | 'cap_reached' | 'no_code';

/**
 * Referral codes (one per customer, unique in the tenant) and attributions (one per referee, ever).
 * Each referrer's code row carries the count of its attributions in status pending or qualified,
 * which is the referrer's cap counter.
 */
export interface ReferralRepository {
  /** The customer's own code, or null when none was made yet. */
  codeOf(customerId: string): Promise<ReferralCode | null>;
  /** The code row of `code` (as stored: upper case), or null. */
  findCode(code: string): Promise<ReferralCode | null>;
  /**
   * Stores a customer's code. Returns false, writing nothing, when the customer already has a code
   * or another customer of the tenant holds this code, including a concurrent transaction that
   * commits first (`INSERT ... ON CONFLICT DO NOTHING`): the caller reads `codeOf` again, or tries
   * another code. MUST NOT throw for either conflict (the transaction stays usable).
   */
  insertCode(row: ReferralCode): Promise<boolean>;
  /** The attribution of `refereeId` (as the referred customer), or null. */
  get(refereeId: string): Promise<Referral | null>;
  /**
   * Attributes `referral.referee_id` to `referral.referrer_id` (status `pending`). MUST write only
   * when (a) the referee has no attribution yet, in any status: one per customer, ever, also under
   * concurrent attempts (the `(tenant_id, referee_id)` primary key), else `already_attributed`;
   * (b) the referrer has a code row, else `no_code`; and (c) `max` is null or the referrer has
   * fewer than `max` attributions in status pending or qualified, else `cap_reached`, exact under
   * any interleaving (a guarded `UPDATE ... SET referred = referred + 1 WHERE referred < max
   * RETURNING` on the referrer's code row, never a count then an insert). A refusal changes nothing.
   */
  attribute(referral: Referral, max: number | null): Promise<AttributionOutcome>;
  /**
   * `pending` → `qualified` with `qualified_at = at` and `qualifying_event_id`, only while pending
   * (a guarded `UPDATE ... WHERE status = 'pending' RETURNING`). Returns the row after, or null when
   * it was not pending (so at most one event ever qualifies a referee).
   */
  qualify(refereeId: string, eventId: string, at: Timestamp): Promise<Referral | null>;
  /**
   * `pending` → `rejected` with the reason, only while pending, and gives the referrer's cap slot
   * back (`referred - 1`), atomically. Returns the row after, or null when it was not pending.
   */
  reject(refereeId: string, reason: string, at: Timestamp): Promise<Referral | null>;
  /** How many customers `referrerId` referred, by status. */
  countsFor(referrerId: string): Promise<ReferralCounts>;
}

/** What a reminder is about: a points lot, or an issued reward. */
export type ReminderKind = 'lot' | 'issuance';

/**
 * Reminders before expiry (`points.expiring`, `reward.expiring`): which lots and rewards expire
 * soon and have not been reminded of, and the marker that makes each reminder happen once.
 */
export interface ReminderRepository {
  /**
   * Up to `limit` points lots with points left whose `expires_at` lies in `(now, until]` and that
   * carry no reminder marker, soonest expiry first.
   */
  listLotsToRemind(now: Timestamp, until: Timestamp, limit: number): Promise<PointsLot[]>;
  /**
   * Up to `limit` issuances in state `issued` whose `expires_at` lies in `(now, until]` and that
   * carry no reminder marker, soonest expiry first.
   */
  listIssuancesToRemind(now: Timestamp, until: Timestamp, limit: number): Promise<Issuance[]>;
  /**
   * Sets the reminder marker of `(kind, subjectId)`. Returns true for the one transaction that
   * set it, false when it was already set. MUST be exact under concurrent callers (several
   * workers on one PostgreSQL): of two transactions marking the same subject, exactly one
   * commits `true` (an `INSERT ... ON CONFLICT DO NOTHING RETURNING` waits for the other).
   */
  markReminded(kind: ReminderKind, subjectId: string, at: Timestamp): Promise<boolean>;
  /** When the subject was reminded of, or null. */
  remindedAt(kind: ReminderKind, subjectId: string): Promise<Timestamp | null>;
}
