import type { ExplainNode, RulesEngine } from '@laas/rules';
import type { AnalyticsRange, AnalyticsSummary } from '../domain/analytics.js';
import type { ApiKey, ApiKeyRole } from '../domain/api-key.js';
import type {
  Budget,
  BudgetLedgerEntry,
  BudgetPeriod,
  CreateBudgetInput,
  TopUpInput,
  UpdateBudgetInput,
} from '../domain/budget.js';
import type { Campaign, CreateCampaignInput, UpdateCampaignInput } from '../domain/campaign.js';
import type { Page, PageRequest } from '../domain/common.js';
import type { CreateCustomerInput, Customer, UpdateCustomerInput } from '../domain/customer.js';
import type { DryRunEventInput, EventOutcome, IngestEventInput, LoyaltyEvent } from '../domain/event.js';
import type { Issuance } from '../domain/issuance.js';
import type { OutboxEvent } from '../domain/outbox.js';
import type { AdjustPointsInput, PointsAdjustment, PointsLedgerEntry, PointsLot } from '../domain/points.js';
import type { ReferralSummary } from '../domain/referral.js';
import type { RefundListFilter, RefundRecord } from '../domain/refund.js';
import type { CreateRewardInput, Reward, UpdateRewardInput } from '../domain/reward.js';
import type { CreateRuleInput, Rule, UpdateRuleInput } from '../domain/rule.js';
import type { CreateTenantInput, Tenant, UpdateTenantInput } from '../domain/tenant.js';
import type { TierProgramme, TierProgrammeInput } from '../domain/tier.js';
import type { CodeValidation, GenerateCodesInput, GeneratedCodes } from '../domain/voucher-code.js';
import type {
  CreateWebhookInput,
  UpdateWebhookInput,
  WebhookDelivery,
  WebhookDeliveryWithAttempts,
  WebhookSubscription,
} from '../domain/webhook.js';
import type { WhatsAppConversation, WhatsAppMessage } from '../domain/whatsapp.js';
import type { CustomerListFilter, EventListFilter, IssuanceListFilter } from '../ports/repositories.js';
import type { Store, Tx } from '../ports/store.js';
import type { SecretCodec } from '../secret-codec.js';
import type { RuleWithWarnings, RuleWriteOptions } from './rule-check.js';
import type { CustomerTierView } from './tiers.js';

export interface EngineOptions {
  store: Store;
  /** The rules engine compiling conditions and quantities; default `createRulesEngine()`. */
  rules?: RulesEngine;
  /** The engine's time; default the system clock. Tests and the CLI's dry-run move it. */
  clock?: () => Date;
  /**
   * How long an event may wait in memory behind earlier events of the same customer (they are
   * serialised anyway; queueing them here keeps a stuck customer from holding connections).
   * Past it: `STORE_UNAVAILABLE`. Default 10000 ms.
   */
  customerQueueWaitMs?: number;
  /** Id generator; default UUIDv7. */
  ids?: () => string;
  /**
   * How secrets are sealed at rest (webhook signing secrets); default `CLEAR_SECRETS`
   * (kept as they are). The server passes an AES-256-GCM codec keyed by `LAAS_SECRET_KEY`.
   */
  secrets?: SecretCodec;
}

export interface IngestOptions {
  /** Run every step, then roll back, and explain each rule's condition. */
  dryRun?: boolean;
}

/** For every rule considered: the condition's evaluation tree (null when it did not run). */
export interface RuleExplanation {
  rule_id: string;
  rule_name: string;
  condition: ExplainNode | null;
  quantity: ExplainNode | null;
}

export interface IngestResult extends EventOutcome {
  /** True when the idempotency key was seen before and this is the stored outcome. */
  replayed: boolean;
  dry_run: boolean;
  /** The issuances this event created (their state as of this call). */
  issuances: Issuance[];
  /** Present on dry runs. */
  explanations?: RuleExplanation[];
  /**
   * Present when something about the event looks wrong but it was accepted: a type no rule
   * listens to (`unknown_event_type`). Not stored: a replay answers without them.
   */
  warnings?: IngestWarning[];
}

/** Something an accepted input probably got wrong, with the field it is about. */
export interface IngestWarning {
  code: 'unknown_event_type';
  message: string;
  /** The input field at fault (`type`). */
  path: string;
}

export interface ExpireResult {
  /** Issued rewards past `expires_at`, now expired. */
  expired: number;
  /** Reservations past `reserve_deadline`, now cancelled. */
  cancelled: number;
  /** Points taken out of expired lots. */
  points_expired: number;
}

/** Everything stored about one customer (GDPR-style export). */
/** Everything LaaS holds about one customer; a superset of what erasing the customer removes. */
export interface CustomerExport {
  customer: Customer;
  events: LoyaltyEvent[];
  issuances: Issuance[];
  points_lots: PointsLot[];
  points_ledger: PointsLedgerEntry[];
  /** The WhatsApp conversation and messages of the customer's phone (erasure deletes them). */
  whatsapp: { conversation: WhatsAppConversation | null; messages: WhatsAppMessage[] };
}

/** A new API key: `key` (`laas_...`) is shown here once and never again. */
export interface CreatedApiKey {
  api_key: ApiKey;
  key: string;
}

export type RedeemTarget = { issuance_id: string } | { code: string };

/** A request carrying an `Idempotency-Key` (PROTOCOLS.md): the key and a fingerprint of the request. */
export interface IdempotentRequest {
  key: string;
  /** SHA-256 of method + path + body, say; the same key with another fingerprint is refused. */
  fingerprint: string;
}

/** A response as stored for an idempotency key. */
export interface StoredResponse {
  status: number;
  body: unknown;
}

/** Why the engine rolled a transaction back and ran it again. */
export type TransactionRetryReason =
  /** The database aborted it with nothing committed (deadlock, serialization failure, lost connection). */
  | 'store_unavailable'
  /** A concurrent transaction inserted the same idempotency key, phone or external ref first. */
  | 'concurrent_insert';

/**
 * Told about what the engine does, for metrics (the server counts these in Prometheus). Called
 * synchronously; an observer must not throw (a throw is caught and ignored).
 */
export interface EngineObserver {
  transactionRetried?(reason: TransactionRetryReason): void;
}

/**
 * The loyalty engine. Every method is one transaction of the store: it either happens whole or
 * not at all, and a bad input writes nothing (`ValidationError`).
 */
export interface Engine {
  readonly store: Store;
  /** Adds an observer (metrics); returns the function that removes it. */
  observe(observer: EngineObserver): () => void;
  /** Seals and opens the secrets kept in the database (webhook signing secrets). */
  readonly secrets: SecretCodec;
  /** The JsonLogic engine rules are validated and compiled with. */
  readonly logic: RulesEngine;

  ingest(tenantId: string, input: IngestEventInput, options?: IngestOptions): Promise<IngestResult>;
  /**
   * Runs `fn` — which calls engine methods of the same tenant — and stores its response under the
   * request's key, all in ONE transaction: the engine calls made inside join it. A request seen
   * before with the same fingerprint gets the stored response (`replayed: true`) and `fn` does not
   * run; with another fingerprint it is `IDEMPOTENCY_KEY_REUSED`. When `fn` throws, nothing is
   * stored and the request may be retried. Not for `ingest`, whose events carry their own key.
   */
  idempotent(
    tenantId: string,
    request: IdempotentRequest,
    fn: () => Promise<StoredResponse>,
  ): Promise<StoredResponse & { replayed: boolean }>;
  /**
   * Runs `fn` in ONE transaction of the tenant; the engine calls of the same tenant made inside
   * `fn` join it (as in `idempotent`), so `fn` may mix its own repository writes through `tx` with
   * engine operations and have them commit or roll back together. When `fn` throws, everything —
   * the engine's writes included — is rolled back and the error rethrown. A transaction the
   * database aborted (deadlock, busy) runs `fn` again, a bounded number of times: keep side
   * effects outside the store (HTTP, timers) out of `fn`.
   *
   * @example
   * await engine.transaction(tenantId, async (tx) => {
   *   const customer = await engine.customers.create(tenantId, { phone: '+263771234567' });
   *   await tx.outbox.append({ ... }); // commits with the customer, or not at all
   * });
   */
  transaction<T>(tenantId: string, fn: (tx: Tx) => Promise<T>): Promise<T>;
  /** Forgets idempotency keys stored before `before` (keep them at least 24 hours). */
  purgeIdempotencyKeys(tenantId: string, before: Date): Promise<number>;
  /** `ingest` rolled back, with explanations. */
  /** As `ingest` with `dryRun`; `idempotency_key` may be left out. */
  dryRun(tenantId: string, input: DryRunEventInput): Promise<IngestResult>;
  redeem(tenantId: string, target: RedeemTarget): Promise<Issuance>;
  cancel(tenantId: string, issuanceId: string, reason?: string): Promise<Issuance>;
  issueReserved(tenantId: string, issuanceId: string): Promise<Issuance>;
  /** Spends the reward's `points_price` from the customer's points and issues the reward. */
  redeemPoints(tenantId: string, customerId: string, input: { reward_id: string }): Promise<Issuance>;
  /** Expires due rewards, cancels overdue reservations and expires points lots, as of `now`. */
  expireDue(tenantId: string, now?: Date): Promise<ExpireResult>;
  topUp(tenantId: string, budgetId: string, input: TopUpInput): Promise<BudgetPeriod>;

  readonly tenants: {
    create(input: CreateTenantInput): Promise<Tenant>;
    get(tenantId: string): Promise<Tenant>;
    update(tenantId: string, input: UpdateTenantInput): Promise<Tenant>;
  };
  readonly customers: {
    create(tenantId: string, input: CreateCustomerInput): Promise<Customer>;
    get(tenantId: string, id: string): Promise<Customer>;
    update(tenantId: string, id: string, input: UpdateCustomerInput): Promise<Customer>;
    setStatus(tenantId: string, id: string, status: 'active' | 'blocked'): Promise<Customer>;
    /** Removes personal data (phone, ref, name, birthday, attributes, tags); keeps counts and ledgers. */
    erase(tenantId: string, id: string): Promise<Customer>;
    export(tenantId: string, id: string): Promise<CustomerExport>;
    /**
     * Customers newest first, by `status` and `tag`; with `phone` or `external_ref`, the exact
     * lookup: the one customer with it (and the other filters), or an empty page.
     */
    list(
      tenantId: string,
      filter?: CustomerListFilter & { phone?: string; external_ref?: string },
      page?: Partial<PageRequest>,
    ): Promise<Page<Customer>>;
  };
  readonly events: {
    get(tenantId: string, id: string): Promise<LoyaltyEvent>;
    list(
      tenantId: string,
      filter?: EventListFilter,
      page?: Partial<PageRequest>,
    ): Promise<Page<LoyaltyEvent>>;
  };
  readonly rules: {
    /** Answers the rule and its logic's `warnings`; `strict` refuses a rule that has any. */
    create(tenantId: string, input: CreateRuleInput, options?: RuleWriteOptions): Promise<RuleWithWarnings>;
    get(tenantId: string, id: string): Promise<Rule>;
    update(
      tenantId: string,
      id: string,
      input: UpdateRuleInput,
      options?: RuleWriteOptions,
    ): Promise<RuleWithWarnings>;
    delete(tenantId: string, id: string): Promise<void>;
    list(tenantId: string, page?: Partial<PageRequest>): Promise<Page<Rule>>;
  };
  readonly rewards: {
    create(tenantId: string, input: CreateRewardInput): Promise<Reward>;
    get(tenantId: string, id: string): Promise<Reward>;
    update(tenantId: string, id: string, input: UpdateRewardInput): Promise<Reward>;
    list(tenantId: string, page?: Partial<PageRequest>): Promise<Page<Reward>>;
    uploadCodes(
      tenantId: string,
      rewardId: string,
      input: { codes: string[] },
    ): Promise<{ added: number; duplicates: string[] }>;
    codeCounts(tenantId: string, rewardId: string): Promise<{ available: number; used: number }>;
    /**
     * Generates `count` new random codes (`crypto`) into a voucher reward's pool, unique in the
     * pool, in one transaction; see docs/vouchers.md.
     */
    generateCodes(tenantId: string, rewardId: string, input: GenerateCodesInput): Promise<GeneratedCodes>;
  };
  readonly issuances: {
    get(tenantId: string, id: string): Promise<Issuance>;
    list(tenantId: string, filter?: IssuanceListFilter, page?: Partial<PageRequest>): Promise<Page<Issuance>>;
    /** Whether a code would redeem now, for whom, and if not why; changes nothing. */
    validateCode(tenantId: string, code: string): Promise<CodeValidation>;
  };
  readonly budgets: {
    create(tenantId: string, input: CreateBudgetInput): Promise<Budget>;
    get(tenantId: string, id: string): Promise<Budget>;
    update(tenantId: string, id: string, input: UpdateBudgetInput): Promise<Budget>;
    list(tenantId: string, page?: Partial<PageRequest>): Promise<Page<Budget>>;
    periods(tenantId: string, id: string): Promise<BudgetPeriod[]>;
    ledger(
      tenantId: string,
      id: string,
      period?: string,
      page?: Partial<PageRequest>,
    ): Promise<Page<BudgetLedgerEntry>>;
  };
  readonly campaigns: {
    create(tenantId: string, input: CreateCampaignInput): Promise<Campaign>;
    get(tenantId: string, id: string): Promise<Campaign>;
    update(tenantId: string, id: string, input: UpdateCampaignInput): Promise<Campaign>;
    setStatus(tenantId: string, id: string, status: 'active' | 'paused' | 'ended'): Promise<Campaign>;
    list(tenantId: string, page?: Partial<PageRequest>): Promise<Page<Campaign>>;
  };
  readonly points: {
    balance(tenantId: string, customerId: string): Promise<{ balance: number; lots: PointsLot[] }>;
    history(
      tenantId: string,
      customerId: string,
      page?: Partial<PageRequest>,
    ): Promise<Page<PointsLedgerEntry>>;
    /**
     * A manual credit (`amount` > 0) or debit (`amount` < 0) with a reason, on the ledger as kind
     * `adjust` with the reason and `actor` (who did it: an API key id, `platform`, a JWT subject).
     * A debit past the balance is a `STATE_CONFLICT` naming the balance.
     */
    adjust(
      tenantId: string,
      customerId: string,
      input: AdjustPointsInput,
      actor?: string | null,
    ): Promise<PointsAdjustment>;
  };
  readonly refunds: {
    /** What refund events reversed, newest first (docs/refunds.md). */
    list(
      tenantId: string,
      filter?: RefundListFilter,
      page?: Partial<PageRequest>,
    ): Promise<Page<RefundRecord>>;
  };
  readonly webhooks: {
    create(tenantId: string, input: CreateWebhookInput): Promise<WebhookSubscription>;
    get(tenantId: string, id: string): Promise<WebhookSubscription>;
    update(tenantId: string, id: string, input: UpdateWebhookInput): Promise<WebhookSubscription>;
    delete(tenantId: string, id: string): Promise<void>;
    list(tenantId: string, page?: Partial<PageRequest>): Promise<Page<WebhookSubscription>>;
    /**
     * A new secret (returned in the subscription; show it once); the old one keeps signing
     * deliveries as a second `v1,` entry for 24 hours.
     */
    rotateSecret(tenantId: string, id: string): Promise<WebhookSubscription>;
    /** The subscription's deliveries, newest first, each with its attempts. */
    deliveries(
      tenantId: string,
      id: string,
      page?: Partial<PageRequest>,
    ): Promise<Page<WebhookDeliveryWithAttempts>>;
    /** A new pending delivery of the same message (same `webhook-id`, same body). */
    replay(tenantId: string, id: string, deliveryId: string): Promise<WebhookDelivery>;
    /** Queues a `webhook.test` message to the subscription. */
    test(tenantId: string, id: string): Promise<WebhookDelivery>;
  };
  readonly apiKeys: {
    create(tenantId: string, input: { name: string; role: ApiKeyRole }): Promise<CreatedApiKey>;
    list(tenantId: string, page?: Partial<PageRequest>): Promise<Page<ApiKey>>;
    revoke(tenantId: string, id: string): Promise<void>;
  };
  readonly analytics: {
    /**
     * The tenant's activity per local day from `range.from` to `range.to` (both included, in the
     * tenant's time zone; default the 30 days ending today; at most 366 days, else a 422
     * `VALIDATION_ERROR`), with the totals, the points liability, the active budgets' current
     * periods and daily charges, and the top rules.
     */
    summary(tenantId: string, range?: AnalyticsRange): Promise<AnalyticsSummary>;
  };
  /** The tier programme (docs/tiers.md). */
  readonly tiers: {
    /** The tenant's programme; null when it has none. */
    get(tenantId: string): Promise<TierProgramme | null>;
    /**
     * Replaces the programme (a 400 `VALIDATION_ERROR` with field paths for a bad one). Customers'
     * tiers are recomputed lazily: at their next event, their next tier read, or a due downgrade.
     */
    put(tenantId: string, input: TierProgrammeInput): Promise<TierProgramme>;
    /** Removes the programme (`NOT_FOUND` when there is none): `customer.tier` is null afterwards. */
    delete(tenantId: string): Promise<void>;
    /** The customer's tier, recomputed now (an upgrade or a due downgrade it finds is applied). */
    customer(tenantId: string, customerId: string): Promise<CustomerTierView>;
    /** Applies the downgrades whose grace ended by `now`; the worker calls it. Returns how many tiers changed. */
    applyDue(tenantId: string, now?: Date): Promise<number>;
  };
  readonly outbox: {
    list(tenantId: string, page?: Partial<PageRequest>): Promise<Page<OutboxEvent>>;
  };
  readonly referrals: {
    /**
     * The customer's referral code (made on the first request, so one transaction that may
     * write), who referred the customer and how far that got, and how many the customer referred
     * (docs/referrals.md).
     */
    get(tenantId: string, customerId: string): Promise<ReferralSummary>;
  };
}
