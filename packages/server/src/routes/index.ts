import { analyticsRoutes } from './analytics.js';
import { apiKeyRoutes } from './api-keys.js';
import { auditRoutes } from './audit.js';
import { budgetRoutes } from './budgets.js';
import { campaignRoutes } from './campaigns.js';
import { codeRoutes } from './codes.js';
import { customerRoutes } from './customers.js';
import type { RouteSpec } from './define.js';
import { enrollmentRoutes } from './enrollment.js';
import { eventRoutes } from './events.js';
import { issuanceRoutes } from './issuances.js';
import { pointsRoutes } from './points.js';
import { referralRoutes } from './referrals.js';
import { refundRoutes } from './refunds.js';
import { rewardRoutes } from './rewards.js';
import { ruleRoutes } from './rules.js';
import { sharedChannelRoutes } from './shared-channels.js';
import { tenantRoutes } from './tenants.js';
import { tierRoutes } from './tiers.js';
import { ussdRoutes } from './ussd.js';
import { webhookRoutes } from './webhooks.js';
import { whatsappRoutes } from './whatsapp.js';

/** Every API route (the operations routes are added by `createServer`). */
export const API_ROUTES: readonly RouteSpec[] = Object.freeze([
  ...tenantRoutes,
  ...customerRoutes,
  ...analyticsRoutes,
  ...pointsRoutes,
  ...referralRoutes,
  ...eventRoutes,
  ...ruleRoutes,
  ...rewardRoutes,
  ...issuanceRoutes,
  ...codeRoutes,
  ...budgetRoutes,
  ...campaignRoutes,
  ...webhookRoutes,
  ...apiKeyRoutes,
  ...ussdRoutes,
  ...whatsappRoutes,
  ...refundRoutes,
  ...enrollmentRoutes,
  ...auditRoutes,
  ...sharedChannelRoutes,
  ...tierRoutes,
]);
