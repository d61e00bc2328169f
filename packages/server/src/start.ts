import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { dirname, resolve } from 'node:path';
import { serve } from '@hono/node-server';
import {
  createEngine,
  createWorker,
  type Engine,
  type Store,
  StoreUnavailableError,
  type Worker,
  type WorkerObserver,
  type WorkerOptions,
} from '@laas/core';
import type { Logger } from 'pino';
import { type DatabaseKind, importAdapter } from './adapters.js';
import { createServer, type LaasApp, type ServerExtension, workerObserver } from './app.js';
import { parseSecretKey } from './channels/whatsapp/secret-box.js';
import { createWhatsAppChannel, type WhatsAppChannel, whatsAppOfApp } from './channels/whatsapp/service.js';
import type { ServerConfig } from './config.js';
import { ConfigError, type LaasEnv, parseEnv, pgOptionsOf } from './env.js';
import { createLogger } from './logging.js';
import { loadOrCreateKeyFile, secretCodec } from './secrets.js';

export const DEFAULT_DATABASE_URL = './data/laas.sqlite';
export const DEFAULT_PORT = 8787;

/**
 * `LAAS_SECRET_KEY`, or for the quick start on a SQLite file a key kept in a file beside it;
 * undefined on PostgreSQL without the variable (saving a secret then answers 409 naming it).
 */
function secretKeyOf(databaseUrl: string, kind: 'postgres' | 'sqlite', env: LaasEnv, logger: Logger) {
  if (env.LAAS_SECRET_KEY !== undefined) return env.LAAS_SECRET_KEY;
  const file = sqliteFileOf(databaseUrl);
  return kind === 'sqlite' && file !== ':memory:' ? loadOrCreateKeyFile(resolve(file), logger) : undefined;
}

const codecOf = (secretKey: string | undefined) =>
  secretCodec(secretKey === undefined ? undefined : parseSecretKey(secretKey));

/** The file a SQLite `LAAS_DATABASE_URL` names (`sqlite:` prefix or a plain path). */
function sqliteFileOf(databaseUrl: string): string {
  return databaseUrl.replace(/^sqlite:(\/\/)?/i, '');
}

function isPostgresUrl(url: string): boolean {
  return /^postgres(ql)?:\/\//i.test(url);
}

/**
 * The adapters, each imported the first time a database of its kind is opened: they are optional
 * peer dependencies, so a server on PostgreSQL never loads (or needs) better-sqlite3, nor one on
 * SQLite pg. A missing one is an `AdapterMissingError` naming the package to install.
 */
const loadPgAdapter = () => importAdapter('postgres', () => import('@laas/adapters-pg'));
const loadSqliteAdapter = () => importAdapter('sqlite', () => import('@laas/adapters-sqlite'));

/**
 * Pool size and timeouts of a PostgreSQL store: `PgStoreOptions` of `@laas/adapters-pg` without
 * the connection string and schema (restated here so that the server's types do not need the
 * optional adapter installed).
 */
export interface PgPoolOptions {
  pool?: { max?: number; acquireTimeoutMs?: number };
  lockTimeoutMs?: number;
  statementTimeoutMs?: number;
  tenantMaxConnections?: number;
  preparedStatements?: boolean;
}

/**
 * Opens the store a `LAAS_DATABASE_URL` names and migrates it: a `postgres://` URL (migrated
 * with `migrateUrl` when given — the schema owner — else with the URL itself), or a SQLite file
 * path (its directory is created).
 */
export async function openStore(
  databaseUrl: string,
  options: {
    migrate?: boolean;
    migrateUrl?: string;
    pgSchema?: string;
    /** Pool size and timeouts of a PostgreSQL store (see `PgStoreOptions`). */
    pg?: PgPoolOptions;
  } = {},
): Promise<{ store: Store; kind: DatabaseKind }> {
  const migrate = options.migrate ?? true;
  if (isPostgresUrl(databaseUrl)) {
    const { migratePg, pgStore } = await loadPgAdapter();
    const schema = options.pgSchema;
    if (migrate) {
      await migratePg({ connectionString: options.migrateUrl ?? databaseUrl, ...(schema ? { schema } : {}) });
    }
    const store = pgStore({ ...options.pg, connectionString: databaseUrl, ...(schema ? { schema } : {}) });
    return { store, kind: 'postgres' };
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(databaseUrl) && !/^sqlite:/i.test(databaseUrl)) {
    throw new ConfigError([
      {
        variable: 'LAAS_DATABASE_URL',
        message:
          'must be a postgres:// URL, a sqlite: URL or a SQLite file path (no other database is supported)',
      },
    ]);
  }
  const { sqliteStore } = await loadSqliteAdapter();
  const filename = sqliteFileOf(databaseUrl);
  if (filename !== ':memory:') mkdirSync(dirname(resolve(filename)), { recursive: true });
  try {
    const store = sqliteStore({ filename });
    try {
      if (migrate) await store.migrate();
    } catch (error) {
      await store.close();
      throw error;
    }
    return { store, kind: 'sqlite' };
  } catch (error) {
    // A file the process cannot write is the operator's to fix: say which, and how, at start-up.
    if (error instanceof StoreUnavailableError) {
      throw new ConfigError([
        {
          variable: 'LAAS_DATABASE_URL',
          message: `names ${resolve(filename)}, which cannot be written (${error.message}). LaaS writes the file and its -wal and -shm files beside it: make the file and its directory writable by this user, or choose another path`,
        },
      ]);
    }
    throw error;
  }
}

/**
 * {@link openStore} with the environment's `LAAS_MIGRATE_DATABASE_URL`, `LAAS_PG_SCHEMA` and
 * PostgreSQL pool settings.
 */
function openStoreFromEnv(
  databaseUrl: string,
  env: LaasEnv,
): Promise<{ store: Store; kind: 'postgres' | 'sqlite' }> {
  return openStore(databaseUrl, {
    ...(env.LAAS_MIGRATE_DATABASE_URL ? { migrateUrl: env.LAAS_MIGRATE_DATABASE_URL } : {}),
    ...(env.LAAS_PG_SCHEMA ? { pgSchema: env.LAAS_PG_SCHEMA } : {}),
    pg: pgOptionsOf(env),
  });
}

/** On the first SIGTERM or SIGINT: log `message`, `close()`, and exit 0 (1 when closing failed). */
function closeOnSignals(logger: Logger, close: () => Promise<void>, message: string): void {
  const onSignal = (signal: NodeJS.Signals) => {
    logger.info({ signal }, message);
    close().then(
      () => {
        process.exitCode = 0;
        // Everything is closed; a handle someone else left open must not keep the process up.
        setTimeout(() => process.exit(), 2000).unref();
      },
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
}

export interface StartServerOptions {
  /** Default `process.env`. */
  env?: NodeJS.ProcessEnv;
  /** Overrides `LAAS_DATABASE_URL`. */
  databaseUrl?: string;
  /** Overrides `PORT`; 0 picks a free port. */
  port?: number;
  /** Default `LAAS_HOST` or `0.0.0.0`. */
  host?: string;
  /** Overrides what the environment configures. */
  config?: ServerConfig;
  extensions?: readonly ServerExtension[];
  /** Stop on SIGTERM and SIGINT (default true). */
  handleSignals?: boolean;
  /** Where the generated admin token is printed (default stdout). */
  print?: (line: string) => void;
  /**
   * The background worker (webhook deliveries, expiry, scheduled events) in this process: on by
   * default unless `LAAS_WORKER=off`; `false` turns it off, an object sets its options.
   */
  worker?: boolean | Omit<WorkerOptions, 'engine' | 'store'>;
}

export interface RunningServer {
  readonly app: LaasApp;
  readonly engine: Engine;
  readonly store: Store;
  readonly url: string;
  readonly port: number;
  readonly logger: Logger;
  /** The platform admin token in force (generated when `LAAS_ADMIN_TOKEN` was unset). */
  readonly adminToken: string;
  /** The background worker running in this process, or null when it is off. */
  readonly worker: Worker | null;
  /**
   * Stops accepting, waits for requests in flight (at most `timeoutMs`) and the worker's running
   * tick, closes the store.
   */
  close(timeoutMs?: number): Promise<void>;
}

/**
 * Runs the server from the environment: `LAAS_DATABASE_URL` (a `postgres://` URL or a SQLite path,
 * default `./data/laas.sqlite`), `PORT` (8787), `LAAS_ADMIN_TOKEN` (generated and printed once when
 * unset), `LAAS_JWT_SECRET`, `LAAS_RATE_LIMIT`, `LAAS_MIGRATE_DATABASE_URL`, `LAAS_PG_SCHEMA`,
 * `LAAS_LOG_LEVEL`, the worker's `LAAS_WORKER` (`off` disables it), `LAAS_WORKER_INTERVAL_MS`,
 * `LAAS_WEBHOOK_TIMEOUT_MS`, and WhatsApp's `LAAS_SECRET_KEY`, `LAAS_WA_GRAPH_BASE`,
 * `LAAS_WA_API_VERSION`. Migrates, starts the background worker, listens, and shuts down
 * gracefully on SIGTERM / SIGINT.
 */
export async function startServer(options: StartServerOptions = {}): Promise<RunningServer> {
  // Before anything opens or listens: a bad variable stops here, named.
  const rawEnv: NodeJS.ProcessEnv = {
    ...(options.env ?? process.env),
    ...(options.databaseUrl === undefined ? {} : { LAAS_DATABASE_URL: options.databaseUrl }),
  };
  const env = parseEnv(rawEnv);
  const logger = options.config?.logger ?? createLogger(env.LAAS_LOG_LEVEL ?? 'info');
  const print = options.print ?? ((line: string) => process.stdout.write(`${line}\n`));
  const databaseUrl = env.LAAS_DATABASE_URL ?? DEFAULT_DATABASE_URL;
  const port = options.port ?? env.PORT ?? DEFAULT_PORT;
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new Error(`PORT must be 0..65535, not ${port}`);
  const host = options.host ?? env.LAAS_HOST ?? '0.0.0.0';

  let adminToken = options.config?.adminToken ?? (env.LAAS_ADMIN_TOKEN || undefined);
  if (adminToken === undefined) {
    adminToken = `laas-admin-${randomBytes(24).toString('base64url')}`;
    print(`LAAS_ADMIN_TOKEN was not set; this run's platform admin token (shown once): ${adminToken}`);
  }

  const { store, kind } = await openStoreFromEnv(databaseUrl, env);
  const secretKey = options.config?.secretKey ?? secretKeyOf(databaseUrl, kind, env, logger);
  const engine = createEngine({ store, secrets: codecOf(secretKey) });
  const rateLimit = env.LAAS_RATE_LIMIT;
  const config: ServerConfig = {
    jwtSecret: env.LAAS_JWT_SECRET,
    defaultMetrics: true,
    ...(rateLimit === undefined ? {} : { rateLimit }),
    ...(env.LAAS_API_KEY_CACHE_MS === undefined ? {} : { apiKeyCacheMs: env.LAAS_API_KEY_CACHE_MS }),
    ...(env.LAAS_WEBHOOK_ALLOW_PRIVATE === undefined
      ? {}
      : { webhookAllowPrivate: env.LAAS_WEBHOOK_ALLOW_PRIVATE }),
    ...(env.LAAS_METRICS_TOKEN === undefined ? {} : { metricsToken: env.LAAS_METRICS_TOKEN }),
    ...(env.LAAS_CORS_ORIGINS === undefined ? {} : { corsOrigins: env.LAAS_CORS_ORIGINS }),
    ...whatsAppFromEnv(rawEnv),
    ...options.config,
    ...(secretKey === undefined ? {} : { secretKey }),
    whatsapp: { ...whatsAppFromEnv(rawEnv).whatsapp, ...options.config?.whatsapp },
    adminToken,
    logger,
  };
  const app = createServer({
    engine,
    store,
    config,
    ...(options.extensions ? { extensions: options.extensions } : {}),
  });

  const server = await new Promise<ReturnType<typeof serve>>((resolveListen, reject) => {
    const s = serve({ fetch: app.fetch, port, hostname: host }, () => resolveListen(s));
    s.once('error', reject);
  });
  const whatsapp = whatsAppOfApp.get(app);
  const worker = workerFromEnv(engine, rawEnv, logger, options.worker, whatsapp, workerObserver(app));
  worker?.start();

  const address = server.address() as AddressInfo;
  const shownHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  const url = `http://${shownHost}:${address.port}`;
  logger.info(
    { url, console: `${url}/console/`, database: kind, worker: worker !== null },
    'laas server listening',
  );

  let closing: Promise<void> | undefined;
  const close = (timeoutMs = 10_000): Promise<void> => {
    closing ??= (async () => {
      // Stop accepting; idle keep-alive sockets go now, busy ones after their answer.
      const drained = new Promise<void>((done) => server.close(() => done()));
      const http = server as unknown as {
        closeIdleConnections?: () => void;
        closeAllConnections?: () => void;
      };
      http.closeIdleConnections?.();
      const idleSweep = setInterval(() => http.closeIdleConnections?.(), 100);
      const timer = setTimeout(() => http.closeAllConnections?.(), timeoutMs);
      await drained;
      clearInterval(idleSweep);
      clearTimeout(timer);
      // WhatsApp replies being sent right after their request: let them record their outcome.
      await whatsapp?.flush();
      await worker?.stop();
      await store.close();
      logger.info('laas server stopped');
    })();
    return closing;
  };

  if (options.handleSignals ?? true) {
    closeOnSignals(logger, close, 'shutting down: finishing requests in flight');
  }

  return { app, engine, store, url, port: address.port, logger, adminToken, worker, close };
}

/**
 * True unless `LAAS_WORKER` says off (`off`, `false`, `0`, `no`); any value that is not one of
 * the accepted words is a `ConfigError`.
 */
export function workerEnabled(env: NodeJS.ProcessEnv): boolean {
  return parseEnv(env).LAAS_WORKER ?? true;
}

/**
 * The WhatsApp part of the configuration from the environment: `LAAS_SECRET_KEY`,
 * `LAAS_WA_GRAPH_BASE`, `LAAS_WA_API_VERSION` (unset ones left out: the defaults apply).
 */
export function whatsAppFromEnv(env: NodeJS.ProcessEnv): Pick<ServerConfig, 'secretKey' | 'whatsapp'> {
  return {
    ...(env.LAAS_SECRET_KEY ? { secretKey: env.LAAS_SECRET_KEY } : {}),
    whatsapp: {
      ...(env.LAAS_WA_GRAPH_BASE ? { graphBase: env.LAAS_WA_GRAPH_BASE } : {}),
      ...(env.LAAS_WA_API_VERSION ? { apiVersion: env.LAAS_WA_API_VERSION } : {}),
    },
  };
}

function whatsAppChannelFromEnv(engine: Engine, env: NodeJS.ProcessEnv, logger: Logger): WhatsAppChannel {
  const config = whatsAppFromEnv(env);
  return createWhatsAppChannel({
    engine,
    secretKey: config.secretKey,
    ...(config.whatsapp === undefined ? {} : { client: config.whatsapp }),
    logger,
  });
}

/**
 * The worker a process runs from its environment (`LAAS_WORKER_INTERVAL_MS`,
 * `LAAS_WEBHOOK_TIMEOUT_MS`), its errors logged; null when `LAAS_WORKER=off` or `setting` is
 * false. It sends WhatsApp messages through `whatsapp` (the server's own channel), or else a
 * channel made from the environment's `LAAS_SECRET_KEY`, `LAAS_WA_GRAPH_BASE`, `LAAS_WA_API_VERSION`.
 */
export function workerFromEnv(
  engine: Engine,
  env: NodeJS.ProcessEnv,
  logger: Logger,
  setting: StartServerOptions['worker'] = true,
  whatsapp?: WhatsAppChannel,
  /** Counts the worker's work (the server's metrics: `workerObserver(app)`). */
  observer?: WorkerObserver,
): Worker | null {
  const parsed = parseEnv(env);
  if (setting === false || (setting === true && !(parsed.LAAS_WORKER ?? true))) return null;
  const intervalMs = parsed.LAAS_WORKER_INTERVAL_MS;
  const timeoutMs = parsed.LAAS_WEBHOOK_TIMEOUT_MS;
  const channel = whatsapp ?? whatsAppChannelFromEnv(engine, env, logger);
  return createWorker({
    engine,
    channels: [channel.worker],
    ...(intervalMs === undefined ? {} : { intervalMs }),
    ...(timeoutMs === undefined ? {} : { timeoutMs }),
    allowPrivateWebhooks: parsed.LAAS_WEBHOOK_ALLOW_PRIVATE ?? false,
    ...(observer === undefined ? {} : { observer }),
    onError: (error, context) => {
      const err = error instanceof Error ? error : new Error(String(error));
      logger.error({ ...context, err: { type: err.name, message: err.message } }, 'worker error');
    },
    ...(typeof setting === 'object' ? setting : {}),
  });
}

export interface StartWorkerOptions {
  /** Default `process.env`. */
  env?: NodeJS.ProcessEnv;
  /** Overrides `LAAS_DATABASE_URL`. */
  databaseUrl?: string;
  /** Overrides what the environment configures. */
  worker?: Omit<WorkerOptions, 'engine' | 'store'>;
  logger?: Logger;
  /** Stop on SIGTERM and SIGINT (default true). */
  handleSignals?: boolean;
}

export interface RunningWorker {
  readonly engine: Engine;
  readonly store: Store;
  readonly worker: Worker;
  readonly logger: Logger;
  /** Stops the loop, waits for the running tick, closes the store. */
  close(): Promise<void>;
}

/**
 * Runs the background worker alone (`laas worker`): the database of `LAAS_DATABASE_URL`,
 * migrated, and the worker ticking until SIGTERM / SIGINT. Run several against one PostgreSQL to
 * share the work; on SQLite run one (the server's own worker counts: start the server with
 * `LAAS_WORKER=off` then).
 */
export async function startWorker(options: StartWorkerOptions = {}): Promise<RunningWorker> {
  const rawEnv: NodeJS.ProcessEnv = {
    ...(options.env ?? process.env),
    ...(options.databaseUrl === undefined ? {} : { LAAS_DATABASE_URL: options.databaseUrl }),
  };
  // Before anything opens: a bad variable stops here, named.
  const env = parseEnv(rawEnv);
  const logger = options.logger ?? createLogger(env.LAAS_LOG_LEVEL ?? 'info');
  const databaseUrl = env.LAAS_DATABASE_URL ?? DEFAULT_DATABASE_URL;
  const { store, kind } = await openStoreFromEnv(databaseUrl, env);
  const secretKey = secretKeyOf(databaseUrl, kind, env, logger);
  const engine = createEngine({ store, secrets: codecOf(secretKey) });
  const worker = workerFromEnv(
    engine,
    { ...rawEnv, LAAS_WORKER: 'on', ...(secretKey === undefined ? {} : { LAAS_SECRET_KEY: secretKey }) },
    logger,
    options.worker ?? true,
  );
  if (worker === null) throw new Error('unreachable: the worker was requested');
  worker.start();
  logger.info({ database: kind }, 'laas worker running');

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      await worker.stop();
      await store.close();
      logger.info('laas worker stopped');
    })();
    return closing;
  };
  if (options.handleSignals ?? true) {
    closeOnSignals(logger, close, 'stopping the worker: finishing the running tick');
  }
  return { engine, store, worker, logger, close };
}
