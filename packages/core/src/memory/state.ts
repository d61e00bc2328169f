import type { ApiKey, IdempotencyRecord } from '../domain/api-key.js';
import type { AuditEntry } from '../domain/audit.js';
import type { Budget, BudgetLedgerEntry, BudgetPeriod } from '../domain/budget.js';
import type { Campaign } from '../domain/campaign.js';
import { decodeCursor, encodeCursor, type Page, type PageRequest, pageLimit } from '../domain/common.js';
import type { Customer } from '../domain/customer.js';
import type { LoyaltyEvent } from '../domain/event.js';
import type { Issuance } from '../domain/issuance.js';
import type { OutboxEvent } from '../domain/outbox.js';
import type { PointsLedgerEntry, PointsLot } from '../domain/points.js';
import type { Reward } from '../domain/reward.js';
import type { Rule } from '../domain/rule.js';
import type { SharedChannelConfig, SharedMerchant } from '../domain/shared-channel.js';
import type { Tenant } from '../domain/tenant.js';
import type { UssdSettings } from '../domain/ussd.js';
import type { WebhookAttempt, WebhookDelivery, WebhookSubscription } from '../domain/webhook.js';
import type { WhatsAppConversation, WhatsAppMessage, WhatsAppSettings } from '../domain/whatsapp.js';
import { copy } from './copy.js';
import { SortedKeys } from './sorted-keys.js';
import type { UndoLog } from './undo-log.js';

/** Rows by id, plus their ids in order for newest-first pages. */
export class Table<V extends { id: string }> {
  readonly rows = new Map<string, V>();
  readonly order = new SortedKeys();

  get(id: string): V | undefined {
    return this.rows.get(id);
  }

  has(id: string): boolean {
    return this.rows.has(id);
  }

  insert(log: UndoLog, row: V): void {
    log.set(this.rows, row.id, row);
    log.insertSorted(this.order, row.id);
  }

  replace(log: UndoLog, row: V): void {
    log.set(this.rows, row.id, row);
  }

  delete(log: UndoLog, id: string): boolean {
    if (!log.delete(this.rows, id)) return false;
    log.removeSorted(this.order, id);
    return true;
  }

  page(page: PageRequest, filter?: (row: V) => boolean): Page<V> {
    return pageOf(this.order, (id) => this.rows.get(id), page, filter);
  }
}

/**
 * One newest-first page over `order` (ids ascending): rows with an id below the cursor's, copied.
 * Rows inserted meanwhile have larger ids (UUIDv7) and so never shift a later page.
 */
export function pageOf<V extends { id: string }>(
  order: SortedKeys,
  lookup: (id: string) => V | undefined,
  page: PageRequest,
  filter?: (row: V) => boolean,
): Page<V> {
  const limit = pageLimit(page);
  const after = decodeCursor(page.cursor);
  let i = after === undefined ? order.size - 1 : order.lowerBound(after) - 1;
  const items: V[] = [];
  let more = false;
  for (; i >= 0; i--) {
    const row = lookup(order.at(i) as string);
    if (row === undefined || (filter !== undefined && !filter(row))) continue;
    if (items.length === limit) {
      more = true;
      break;
    }
    items.push(row);
  }
  const last = items[items.length - 1];
  return { items: items.map(copy), next_cursor: more && last !== undefined ? encodeCursor(last.id) : null };
}

/** A voucher code of a pool; `issuance_id` is null while the code is free. */
export interface CodeRow {
  code: string;
  issuance_id: string | null;
  added_at: string;
}

/**
 * One reward's code pool. `free` is a queue of free codes read from `head`: a draw moves `head`
 * forward, an upload or a release appends, and the undo log reverses both exactly (it undoes
 * newest first, so the array's end is always what the undo step expects).
 */
export class CodePool {
  readonly all = new Map<string, CodeRow>();
  readonly free: string[] = [];
  head = 0;

  get available(): number {
    return this.free.length - this.head;
  }

  push(log: UndoLog, code: string): void {
    this.free.push(code);
    log.onRollback(() => {
      this.free.pop();
    });
  }

  shift(log: UndoLog): string | undefined {
    if (this.head >= this.free.length) return undefined;
    const code = this.free[this.head] as string;
    this.head += 1;
    log.onRollback(() => {
      this.head -= 1;
    });
    return code;
  }
}

/**
 * A rule's (or a rule and customer's) issuances ordered by `earned_at`: keys are
 * `<earned_at in ms, zero-padded>\u0000<issuance id>`, so "earned at or after `since`" is one binary
 * search and the latest is the last key.
 */
export function earnedKey(earnedAtMs: number, issuanceId: string): string {
  return `${String(earnedAtMs + EPOCH_OFFSET).padStart(17, '0')}\u0000${issuanceId}`;
}
export function earnedKeyId(key: string): string {
  return key.slice(key.indexOf('\u0000') + 1);
}
/** The `earned_at` an earned key holds, in ms. */
export function earnedKeyMs(key: string): number {
  return Number(key.slice(0, key.indexOf('\u0000'))) - EPOCH_OFFSET;
}
/** Shifts instants before 1970 to positive numbers so that zero-padding sorts them correctly. */
const EPOCH_OFFSET = 8_640_000_000_000_000;

export function ms(at: string): number {
  return Date.parse(at);
}

/** Everything one tenant owns. Each index is changed only through the transaction's undo log. */
export class TenantData {
  readonly customers = new Table<Customer>();
  readonly customerByPhone = new Map<string, string>();
  readonly customerByRef = new Map<string, string>();

  readonly events = new Table<LoyaltyEvent>();
  readonly eventByKey = new Map<string, string>();

  readonly rules = new Table<Rule>();
  readonly rewards = new Table<Reward>();
  readonly codePools = new Map<string, CodePool>();

  readonly issuances = new Table<Issuance>();
  readonly issuanceByCode = new Map<string, string>();
  /** rule id → earned keys of its issuances. */
  readonly earnedByRule = new Map<string, SortedKeys>();
  /** `${rule id}\u0000${customer id}` → earned keys. */
  readonly earnedByRuleCustomer = new Map<string, SortedKeys>();
  /** Issuances that can fall due (reserved with a deadline, issued with an expiry) → due time in ms. */
  readonly dueIssuances = new Map<string, number>();

  readonly budgets = new Table<Budget>();
  /** `${budget id}\u0000${period}` → counters. */
  readonly periods = new Map<string, BudgetPeriod>();
  /** budget id → its period keys. */
  readonly periodKeys = new Map<string, SortedKeys>();
  readonly budgetLedger = new Table<BudgetLedgerEntry>();

  readonly lots = new Map<string, PointsLot>();
  /** customer id → ids of all its lots. */
  readonly lotsByCustomer = new Map<string, SortedKeys>();
  /**
   * Ids of lots written spent (and of issuances written settled) since the last compaction, so that
   * a replay store's daily compaction visits those rather than every row. Null until the first
   * compaction (a store that never compacts keeps no such list). Not undo-logged: compaction checks
   * each row again, so an id a rollback left here is skipped.
   */
  spentLots: string[] | null = null;
  settledIssuances: string[] | null = null;
  /** Lots with points left and an expiry, as `earnedKey(expiry in ms, lot id)`: the soonest first. */
  readonly dueLotKeys = new SortedKeys();
  readonly pointsLedger = new Table<PointsLedgerEntry>();
  /** customer id → ids of its ledger rows. */
  readonly pointsLedgerByCustomer = new Map<string, SortedKeys>();

  readonly campaigns = new Table<Campaign>();
  /** `${rule id}\u0000${cap key}\u0000${window key}` → uses claimed. */
  readonly capCounters = new Map<string, number>();
  readonly webhooks = new Table<WebhookSubscription>();
  readonly outbox = new Table<OutboxEvent>();
  /** Outbox ids not yet fanned out, ascending (oldest first). */
  readonly undispatched = new SortedKeys();
  /** outbox id → when it was fanned out. */
  readonly dispatchedAt = new Map<string, string>();
  readonly deliveries = new Table<WebhookDelivery>();
  /** Ids of the deliveries with status `pending`. */
  readonly pendingDeliveries = new Map<string, true>();
  readonly attempts = new Map<string, WebhookAttempt>();
  /** delivery id → ids of its attempts. */
  readonly attemptsByDelivery = new Map<string, SortedKeys>();
  readonly apiKeys = new Table<ApiKey>();
  readonly idempotency = new Map<string, IdempotencyRecord>();
  readonly whatsappMessages = new Table<WhatsAppMessage>();
  /** wa_message_id → message id (unique per tenant). */
  readonly whatsappByWaId = new Map<string, string>();
  /** phone → ids of its messages. */
  readonly whatsappByPhone = new Map<string, SortedKeys>();
  /** Ids of the outbound messages with status `queued`. */
  readonly whatsappQueued = new Map<string, true>();
  /** phone → its conversation. */
  readonly whatsappConversations = new Map<string, WhatsAppConversation>();
  /** Audit rows by id (`tx.audit`). */
  readonly audit = new Map<string, AuditEntry>();
}

/**
 * The whole store: tenants and the cross-tenant indexes (API keys by hash, for authentication;
 * WhatsApp settings by phone number id and verify token, for the public webhook).
 */
export class StoreState {
  readonly tenants = new Map<string, Tenant>();
  readonly tenantOrder = new SortedKeys();
  /** tenant id → its configuration version (`tx.tenants.getVersioned`); absent: 0. */
  readonly configVersions = new Map<string, number>();
  readonly apiKeyByHash = new Map<string, { tenantId: string; id: string }>();
  /** tenant id → its USSD settings. */
  readonly ussdSettings = new Map<string, UssdSettings>();
  /** USSD service code → tenant id (unique across tenants: the gateway's callback finds the tenant by it). */
  readonly ussdByServiceCode = new Map<string, string>();
  /** tenant id → its WhatsApp settings; the two indexes below are unique across tenants. */
  readonly whatsappSettings = new Map<string, WhatsAppSettings>();
  /** phone_number_id → tenant id (inbound webhooks find the tenant by it). */
  readonly whatsappByPhoneNumberId = new Map<string, string>();
  /** verify_token → tenant id (Meta's verification handshake). */
  readonly whatsappByVerifyToken = new Map<string, string>();
  /** tenant id → its merchant code and opt-ins on the shared channels. */
  readonly sharedMerchants = new Map<string, SharedMerchant>();
  /** merchant code → tenant id (unique across tenants). */
  readonly sharedMerchantByCode = new Map<string, string>();
  /** The platform's shared channels (written outside tenant transactions). */
  readonly sharedChannels = new Map<string, SharedChannelConfig>();
  /** phone (E.164) → the tenant it chose on the shared WhatsApp number. */
  readonly sharedSelections = new Map<string, string>();
  readonly data = new Map<string, TenantData>();

  /** The tenant's data; an empty bucket is created on first use (invisible, so not undo-logged). */
  of(tenantId: string): TenantData {
    let data = this.data.get(tenantId);
    if (data === undefined) {
      data = new TenantData();
      this.data.set(tenantId, data);
    }
    return data;
  }
}
