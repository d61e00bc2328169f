import type { ApiKey } from '../domain/api-key.js';
import type { Page, PageRequest } from '../domain/common.js';
import type { Customer, CustomerRef } from '../domain/customer.js';
import type { LoyaltyEvent } from '../domain/event.js';
import type { Referral } from '../domain/referral.js';
import type { Tenant } from '../domain/tenant.js';
import type { UssdSettings } from '../domain/ussd.js';
import type { WhatsAppSettings } from '../domain/whatsapp.js';
import { StateConflictError, StoreUnavailableError } from '../errors.js';
import type { Timestamp } from '../time.js';
import type {
  AnalyticsRepository,
  ApiKeyRepository,
  AuditRepository,
  BudgetRepository,
  CampaignRepository,
  CapRepository,
  CodePoolRepository,
  CustomerRepository,
  EventRepository,
  IdempotencyRepository,
  IssuanceRepository,
  OutboxRepository,
  PointsRepository,
  ReferralRepository,
  RefundRepository,
  ReminderRepository,
  RewardRepository,
  RuleRepository,
  TenantRepository,
  UssdRepository,
  VersionedTenant,
  WebhookDeliveryRepository,
  WebhookRepository,
  WhatsAppRepository,
} from './repositories.js';
import type { SharedChannelPlatformRepository, SharedMerchantRepository } from './shared-channels.js';
import type { TierRepository } from './tier-repository.js';

/**
 * The repositories of one transaction, all scoped to `tenantId`: no method of a `Tx` may read or
 * change another tenant's rows (invariant 7).
 */
export interface Tx {
  readonly tenantId: string;
  readonly tenants: TenantRepository;
  readonly customers: CustomerRepository;
  readonly events: EventRepository;
  readonly rules: RuleRepository;
  readonly rewards: RewardRepository;
  readonly codes: CodePoolRepository;
  readonly issuances: IssuanceRepository;
  readonly budgets: BudgetRepository;
  readonly points: PointsRepository;
  readonly campaigns: CampaignRepository;
  readonly caps: CapRepository;
  readonly webhooks: WebhookRepository;
  readonly outbox: OutboxRepository;
  readonly deliveries: WebhookDeliveryRepository;
  readonly apiKeys: ApiKeyRepository;
  readonly idempotency: IdempotencyRepository;
  readonly ussd: UssdRepository;
  readonly whatsapp: WhatsAppRepository;
  /** What refund events reversed. */
  readonly refunds: RefundRepository;
  /** Referral codes and attributions (docs/referrals.md). */
  readonly referrals: ReferralRepository;
  /** Reminder markers before expiry (points lots, issued rewards). */
  readonly reminders: ReminderRepository;
  /** The tenant's merchant code and opt-ins on the shared channels. */
  readonly sharedChannels: SharedMerchantRepository;
  readonly tiers: TierRepository;
  /** Aggregates for the merchant console (read-only). */
  readonly analytics: AnalyticsRepository;
  /** The audit trail of changes made through the server. */
  readonly audit: AuditRepository;
  /**
   * What an ingest reads before it decides, in one round trip on a networked store: see
   * {@link IngestOpening}. A store without round trips composes it with {@link openIngestByParts}.
   */
  openIngest(idempotencyKey: string, ref: CustomerRef, earned: EarnedReads): Promise<IngestOpening>;
}

/**
 * What the cooldowns and per-customer caps of an event's candidate rules read of the customer's
 * history (`issuances.lastEarnedAt`, `issuances.countEarned`), asked with the opening read.
 */
export interface EarnedReads {
  /** Rules whose customer's latest `earned_at` is wanted. */
  last: readonly string[];
  /** Counts of the customer's issuances of a rule earned at or after `since` (null: ever). */
  counts: ReadonlyArray<{ ruleId: string; since: Timestamp | null }>;
}

/** Ingest's first read (DESIGN.md, ingest steps 2–3). */
export interface IngestOpening {
  /** The transaction's tenant with its configuration version (`tenants.getVersioned`). */
  tenant: VersionedTenant | null;
  /** The event stored under the idempotency key, or null. */
  seen: LoyaltyEvent | null;
  /**
   * The customer `ref` names (by `id` when it has one, else by `external_ref`, else by `phone`),
   * locked as `customers.lock` locks it; null when none is found.
   */
  customer: Customer | null;
  /** The customer's attribution as a referee (`referrals.get`), or null. */
  referral: Referral | null;
  /** The answers to {@link EarnedReads}, in its order (null and 0 when no customer is found). */
  earned: { last: Array<Timestamp | null>; counts: number[] };
}

/** {@link Tx.openIngest} from the repositories' own reads, one after another. */
export async function openIngestByParts(
  tx: Pick<Tx, 'tenants' | 'events' | 'customers' | 'referrals' | 'issuances'>,
  idempotencyKey: string,
  ref: CustomerRef,
  earned: EarnedReads,
): Promise<IngestOpening> {
  const tenant = await tx.tenants.getVersioned();
  const seen = await tx.events.findByIdempotencyKey(idempotencyKey);
  const { customers } = tx;
  let found: Customer | null = null;
  if (ref.id !== undefined) found = await customers.get(ref.id);
  else {
    if (ref.external_ref !== undefined) found = await customers.findByExternalRef(ref.external_ref);
    if (found === null && ref.phone !== undefined) found = await customers.findByPhone(ref.phone);
  }
  const customer = found === null ? null : await customers.lock(found.id);
  const referral = customer === null ? null : await tx.referrals.get(customer.id);
  const answers: IngestOpening['earned'] = { last: [], counts: [] };
  for (const ruleId of earned.last)
    answers.last.push(customer === null ? null : await tx.issuances.lastEarnedAt(ruleId, customer.id));
  for (const { ruleId, since } of earned.counts)
    answers.counts.push(customer === null ? 0 : await tx.issuances.countEarned(ruleId, customer.id, since));
  return { tenant, seen, customer, referral, earned: answers };
}

export interface TransactionOptions {
  /** A transaction that only reads; a store MAY run it without taking write locks. */
  readOnly?: boolean;
}

/** Reads that are not scoped to one tenant: authentication and the background worker need them. */
export interface PlatformRepository extends SharedChannelPlatformRepository {
  /** The (unrevoked or revoked) key whose hash is `keyHash`, of whichever tenant. */
  findApiKeyByHash(keyHash: string): Promise<ApiKey | null>;
  getTenant(tenantId: string): Promise<Tenant | null>;
  listTenants(page: PageRequest): Promise<Page<Tenant>>;
  /** The USSD settings whose service code is this one, of whichever tenant (the gateway's callback). */
  findUssdByServiceCode(serviceCode: string): Promise<UssdSettings | null>;
  /** The settings whose phone_number_id is this one, of whichever tenant (inbound webhooks). */
  findWhatsAppByPhoneNumberId(phoneNumberId: string): Promise<WhatsAppSettings | null>;
  /** The settings whose verify_token is this one (Meta's verification handshake). */
  findWhatsAppByVerifyToken(verifyToken: string): Promise<WhatsAppSettings | null>;
  /**
   * The background work waiting, summed over every tenant (metrics; no tenant is named): the
   * oldest outbox event not fanned out yet, and the pending webhook deliveries.
   */
  backlog(): Promise<WorkBacklog>;
}

/** What {@link PlatformRepository.backlog} answers. */
export interface WorkBacklog {
  /** `created_at` of the oldest outbox event with `dispatched_at` null; null when there is none. */
  oldest_undispatched_at: Timestamp | null;
  /** Deliveries in status `pending` (due now or waiting for a retry). */
  pending_deliveries: number;
  /** The earliest `next_attempt_at` of a pending delivery; null when none is pending. */
  earliest_pending_attempt_at: Timestamp | null;
}

/** A connection pool's state (PostgreSQL), for metrics. */
export interface PoolStats {
  /** Connections open, idle or in use. */
  total: number;
  idle: number;
  /** Callers waiting for a connection. */
  waiting: number;
  /** The most connections the pool opens. */
  max: number;
}

export interface StoreCapabilities {
  /**
   * True when transactions of different customers may run in parallel and the store's guarded
   * operations are what keeps the invariants (PostgreSQL). False when the store runs one write
   * transaction at a time (MemoryStore, SQLite): still correct under `Promise.all`, just serial.
   */
  parallelTransactions: boolean;
}

/**
 * Storage behind the engine. Adapters implement it natively (a guarded `UPDATE ... RETURNING`,
 * `SELECT ... FOR UPDATE`), never by a read-modify-write in core.
 */
export interface Store {
  /**
   * Runs `fn` in one transaction scoped to `tenantId`. Commits when `fn` resolves; rolls back
   * everything `fn` wrote when it throws, and rethrows. A store MUST NOT let a caller observe a
   * half-applied transaction, and MUST NOT let `fn` see another tenant's rows.
   */
  transaction<T>(tenantId: string, fn: (tx: Tx) => Promise<T>, options?: TransactionOptions): Promise<T>;
  readonly platform: PlatformRepository;
  readonly capabilities: StoreCapabilities;
  /** Resolves when the database is reachable and migrated; rejects with the reason otherwise. */
  ping(): Promise<void>;
  /** The connection pool's state, for stores that have one (PostgreSQL); absent otherwise. */
  poolStats?(): PoolStats;
  /** Releases connections. The store is unusable afterwards. */
  close(): Promise<void>;
}

/**
 * Thrown by a repository when an insert or update would duplicate a value that must be unique
 * (a phone, an external ref, an idempotency key, a code). `field` names it.
 */
export class UniqueViolationError extends StateConflictError {
  readonly field: string;
  constructor(entity: string, field: string, value?: string) {
    super(
      `A ${entity} with this ${field}${value === undefined ? '' : ` (${JSON.stringify(value)})`} already exists`,
      { entity, field, issues: [{ path: field, message: 'already taken' }] },
    );
    this.name = 'UniqueViolationError';
    this.field = field;
  }
}

/**
 * Thrown by a store when the database aborted a transaction that may succeed if run again
 * (PostgreSQL deadlock `40P01` or serialization failure `40001`, SQLite `SQLITE_BUSY` after the
 * busy timeout). Nothing of it was committed (`safeToRetry`): the engine retries such a
 * transaction a bounded number of times, and when they are spent the caller gets it as a
 * `STORE_UNAVAILABLE` (HTTP 503) error.
 */
export class TransientStoreError extends StoreUnavailableError {
  constructor(message: string, options?: { cause?: unknown; retryAfterSeconds?: number }) {
    super(message, { ...options, safeToRetry: true });
    this.name = 'TransientStoreError';
  }
}
