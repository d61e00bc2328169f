/**
 * @laas/server — the multi-tenant LaaS REST API on Hono: `createServer` builds the app,
 * `startServer` runs it from the environment with graceful shutdown.
 */
export {
  ADAPTER_PACKAGES,
  AdapterMissingError,
  type DatabaseKind,
  importAdapter,
} from './adapters.js';
export {
  type AppEnv,
  type CreateServerOptions,
  createServer,
  type LaasApp,
  type ServerExtension,
  type ServerExtensionContext,
  WWW_AUTHENTICATE,
  workerObserver,
} from './app.js';
export type { Principal } from './auth.js';
export {
  BUTTON_IDS,
  createWhatsAppChannel,
  DEFAULT_STRINGS as WHATSAPP_DEFAULT_STRINGS,
  type JoinLink,
  joinLink,
  signPayload as signWhatsAppPayload,
  type WhatsAppChannel,
  type WhatsAppChannelOptions,
} from './channels/whatsapp/index.js';
export {
  DEFAULT_BODY_LIMIT_BYTES,
  DEFAULT_IDEMPOTENCY_RETENTION_HOURS,
  DEFAULT_RATE_LIMIT,
  DEFAULT_WA_API_VERSION,
  DEFAULT_WA_GRAPH_BASE,
  type RateLimitConfig,
  type ServerConfig,
  type WhatsAppClientConfig,
} from './config.js';
export { ConfigError, type LaasEnv, parseEnv } from './env.js';
export type { ErrorBody } from './errors.js';
export { purgeIdempotencyKeys } from './maintenance.js';
export { type Permission, ROLE_PERMISSIONS, roleAllows } from './permissions.js';
export type { HttpMethod, Reply, RouteContext, RouteSpec, ServerDeps } from './routes/define.js';
export { API_ROUTES } from './routes/index.js';
export {
  openStore,
  type PgPoolOptions,
  type RunningServer,
  type RunningWorker,
  type StartServerOptions,
  type StartWorkerOptions,
  startServer,
  startWorker,
  whatsAppFromEnv,
  workerEnabled,
  workerFromEnv,
} from './start.js';
