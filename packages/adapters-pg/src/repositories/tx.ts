import type { Tx } from '@laas/core';
import { analyticsRepository } from './analytics.js';
import { apiKeyRepository, idempotencyRepository } from './api-keys.js';
import { auditRepository } from './audit.js';
import { budgetRepository } from './budgets.js';
import { campaignRepository } from './campaigns.js';
import { capRepository } from './caps.js';
import type { TxContext } from './context.js';
import { customerRepository } from './customers.js';
import { eventRepository } from './events.js';
import { openIngest } from './ingest-opening.js';
import { issuanceRepository } from './issuances.js';
import { pointsRepository } from './points.js';
import { referralRepository } from './referrals.js';
import { refundRepository } from './refunds.js';
import { reminderRepository } from './reminders.js';
import { codePoolRepository, rewardRepository } from './rewards.js';
import { ruleRepository } from './rules.js';
import { sharedMerchantRepository } from './shared-channels.js';
import { tenantRepository } from './tenants.js';
import { tierRepository } from './tiers.js';
import { ussdRepository } from './ussd.js';
import { deliveryRepository, outboxRepository, webhookRepository } from './webhooks.js';
import { whatsappRepository } from './whatsapp.js';

export function createTx(ctx: TxContext): Tx {
  return {
    tenantId: ctx.tenantId,
    tenants: tenantRepository(ctx),
    customers: customerRepository(ctx),
    events: eventRepository(ctx),
    rules: ruleRepository(ctx),
    rewards: rewardRepository(ctx),
    codes: codePoolRepository(ctx),
    issuances: issuanceRepository(ctx),
    budgets: budgetRepository(ctx),
    points: pointsRepository(ctx),
    campaigns: campaignRepository(ctx),
    caps: capRepository(ctx),
    webhooks: webhookRepository(ctx),
    outbox: outboxRepository(ctx),
    deliveries: deliveryRepository(ctx),
    apiKeys: apiKeyRepository(ctx),
    idempotency: idempotencyRepository(ctx),
    ussd: ussdRepository(ctx),
    whatsapp: whatsappRepository(ctx),
    referrals: referralRepository(ctx),
    analytics: analyticsRepository(ctx),
    refunds: refundRepository(ctx),
    audit: auditRepository(ctx),
    reminders: reminderRepository(ctx),
    sharedChannels: sharedMerchantRepository(ctx),
    tiers: tierRepository(ctx),
    openIngest: openIngest(ctx),
  };
}
