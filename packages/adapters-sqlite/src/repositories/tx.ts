import type {
  AnalyticsRepository,
  ApiKeyRepository,
  AuditRepository,
  BudgetRepository,
  CampaignRepository,
  CapRepository,
  CodePoolRepository,
  CustomerRef,
  CustomerRepository,
  EarnedReads,
  EventRepository,
  IdempotencyRepository,
  IngestOpening,
  IssuanceRepository,
  OutboxRepository,
  PointsRepository,
  ReferralRepository,
  RefundRepository,
  ReminderRepository,
  RewardRepository,
  RuleRepository,
  SharedMerchantRepository,
  TenantRepository,
  TierRepository,
  Tx,
  UssdRepository,
  WebhookDeliveryRepository,
  WebhookRepository,
  WhatsAppRepository,
} from '@laas/core';
import { openIngestByParts } from '@laas/core';
import { SqliteAnalyticsRepository } from './analytics.js';
import { SqliteApiKeyRepository, SqliteIdempotencyRepository } from './api-keys.js';
import { SqliteAuditRepository } from './audit.js';
import { SqliteBudgetRepository } from './budgets.js';
import { SqliteCampaignRepository } from './campaigns.js';
import { SqliteCapRepository } from './caps.js';
import { SqliteCustomerRepository } from './customers.js';
import { SqliteEventRepository } from './events.js';
import { SqliteIssuanceRepository } from './issuances.js';
import { SqlitePointsRepository } from './points.js';
import { SqliteReferralRepository } from './referrals.js';
import { SqliteRefundRepository } from './refunds.js';
import { SqliteReminderRepository } from './reminders.js';
import { SqliteCodePoolRepository, SqliteRewardRepository } from './rewards.js';
import { SqliteRuleRepository } from './rules.js';
import type { Scope } from './scope.js';
import { SqliteSharedMerchantRepository } from './shared-channels.js';
import { SqliteTenantRepository } from './tenants.js';
import { SqliteTierRepository } from './tiers.js';
import { SqliteUssdRepository } from './ussd.js';
import { SqliteDeliveryRepository, SqliteOutboxRepository, SqliteWebhookRepository } from './webhooks.js';
import { SqliteWhatsAppRepository } from './whatsapp.js';

/** The repositories of one transaction, created when first used. */
export class SqliteTx implements Tx {
  private _tenants?: TenantRepository;
  private _customers?: CustomerRepository;
  private _events?: EventRepository;
  private _rules?: RuleRepository;
  private _rewards?: RewardRepository;
  private _codes?: CodePoolRepository;
  private _issuances?: IssuanceRepository;
  private _budgets?: BudgetRepository;
  private _points?: PointsRepository;
  private _campaigns?: CampaignRepository;
  private _caps?: CapRepository;
  private _webhooks?: WebhookRepository;
  private _outbox?: OutboxRepository;
  private _deliveries?: WebhookDeliveryRepository;
  private _apiKeys?: ApiKeyRepository;
  private _idempotency?: IdempotencyRepository;
  private _whatsapp?: WhatsAppRepository;
  private _ussd?: UssdRepository;
  private _audit?: AuditRepository;
  private _analytics?: AnalyticsRepository;
  private _refunds?: RefundRepository;
  private _referrals?: ReferralRepository;
  private _reminders?: ReminderRepository;
  private _sharedChannels?: SharedMerchantRepository;
  private _tiers?: TierRepository;

  constructor(private readonly scope: Scope) {}

  get tenantId(): string {
    return this.scope.tenantId;
  }
  get sharedChannels(): SharedMerchantRepository {
    this._sharedChannels ??= new SqliteSharedMerchantRepository(this.scope);
    return this._sharedChannels;
  }
  get tenants(): TenantRepository {
    this._tenants ??= new SqliteTenantRepository(this.scope);
    return this._tenants;
  }
  get customers(): CustomerRepository {
    this._customers ??= new SqliteCustomerRepository(this.scope);
    return this._customers;
  }
  get events(): EventRepository {
    this._events ??= new SqliteEventRepository(this.scope);
    return this._events;
  }
  get rules(): RuleRepository {
    this._rules ??= new SqliteRuleRepository(this.scope);
    return this._rules;
  }
  get rewards(): RewardRepository {
    this._rewards ??= new SqliteRewardRepository(this.scope);
    return this._rewards;
  }
  get codes(): CodePoolRepository {
    this._codes ??= new SqliteCodePoolRepository(this.scope);
    return this._codes;
  }
  get reminders(): ReminderRepository {
    this._reminders ??= new SqliteReminderRepository(this.scope);
    return this._reminders;
  }
  get issuances(): IssuanceRepository {
    this._issuances ??= new SqliteIssuanceRepository(this.scope);
    return this._issuances;
  }
  get budgets(): BudgetRepository {
    this._budgets ??= new SqliteBudgetRepository(this.scope);
    return this._budgets;
  }
  get points(): PointsRepository {
    this._points ??= new SqlitePointsRepository(this.scope);
    return this._points;
  }
  get campaigns(): CampaignRepository {
    this._campaigns ??= new SqliteCampaignRepository(this.scope);
    return this._campaigns;
  }
  get caps(): CapRepository {
    this._caps ??= new SqliteCapRepository(this.scope);
    return this._caps;
  }
  get webhooks(): WebhookRepository {
    this._webhooks ??= new SqliteWebhookRepository(this.scope);
    return this._webhooks;
  }
  get outbox(): OutboxRepository {
    this._outbox ??= new SqliteOutboxRepository(this.scope);
    return this._outbox;
  }
  get deliveries(): WebhookDeliveryRepository {
    this._deliveries ??= new SqliteDeliveryRepository(this.scope);
    return this._deliveries;
  }
  get apiKeys(): ApiKeyRepository {
    this._apiKeys ??= new SqliteApiKeyRepository(this.scope);
    return this._apiKeys;
  }
  get idempotency(): IdempotencyRepository {
    this._idempotency ??= new SqliteIdempotencyRepository(this.scope);
    return this._idempotency;
  }
  get whatsapp(): WhatsAppRepository {
    this._whatsapp ??= new SqliteWhatsAppRepository(this.scope);
    return this._whatsapp;
  }
  get referrals(): ReferralRepository {
    this._referrals ??= new SqliteReferralRepository(this.scope);
    return this._referrals;
  }
  get tiers(): TierRepository {
    this._tiers ??= new SqliteTierRepository(this.scope);
    return this._tiers;
  }
  get ussd(): UssdRepository {
    this._ussd ??= new SqliteUssdRepository(this.scope);
    return this._ussd;
  }
  get refunds(): RefundRepository {
    this._refunds ??= new SqliteRefundRepository(this.scope);
    return this._refunds;
  }
  get analytics(): AnalyticsRepository {
    this._analytics ??= new SqliteAnalyticsRepository(this.scope);
    return this._analytics;
  }
  get audit(): AuditRepository {
    this._audit ??= new SqliteAuditRepository(this.scope);
    return this._audit;
  }
  openIngest(idempotencyKey: string, ref: CustomerRef, earned: EarnedReads): Promise<IngestOpening> {
    return openIngestByParts(this, idempotencyKey, ref, earned);
  }
}
