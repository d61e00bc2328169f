import { analyticsRoutes } from './analytics.js';
import { apiKeyRoutes } from './api-keys.js';
import { budgetRoutes } from './budgets.js';
import { campaignRoutes } from './campaigns.js';
import { customerRoutes } from './customers.js';
import type { RouteSpec } from './define.js';
import { enrollmentRoutes } from './enrollment.js';
import { eventRoutes } from './events.js';
import { issuanceRoutes } from './issuances.js';
import { pointsRoutes } from './points.js';
import { rewardRoutes } from './rewards.js';
import { ruleRoutes } from './rules.js';
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
  ...eventRoutes,
  ...ruleRoutes,
  ...rewardRoutes,
  ...issuanceRoutes,
  ...budgetRoutes,
  ...campaignRoutes,
  ...webhookRoutes,
  ...apiKeyRoutes,
  ...ussdRoutes,
  ...whatsappRoutes,
  ...enrollmentRoutes,
  ...tierRoutes,
]);
