/**
 * Test harness: a real listening server (startServer on 127.0.0.1, port 0) over SQLite (a temp
 * file) or PostgreSQL (a schema per test file, migrated by the owner, served as the app role).
 * PostgreSQL: LAAS_TEST_PG_URL (owner; default postgres://postgres@127.0.0.1:5432/postgres). When no
 * server answers, the PostgreSQL runs are skipped with a printed notice — never under CI.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_APP_ROLE, pgStore } from '@laas/adapters-pg';
import pino, { type Logger } from 'pino';
import { afterAll, beforeAll } from 'vitest';
import { type RunningServer, type ServerConfig, type ServerExtension, startServer } from '../src/index.js';

export const TEST_PG_URL = process.env.LAAS_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

function urlAs(url: string, user: string): string {
  const u = new URL(url);
  u.username = user;
  u.password = '';
  return u.toString();
}

// Decided once per run by the global setup (vitest.postgres.ts), which fails the run under CI when
// PostgreSQL does not answer; elsewhere its runs are skipped, saying why.
const pgAvailable = process.env.LAAS_TEST_PG === 'on';
if (!pgAvailable) console.warn(`[server] skipping the PostgreSQL runs: ${process.env.LAAS_TEST_PG}`);

/** The `LAAS_SECRET_KEY` of the test servers on PostgreSQL. */
export const TEST_SECRET_KEY = 'ab'.repeat(32);

export type StoreKind = 'sqlite' | 'postgres';
/** The stores every suite runs on: both, unless PostgreSQL is off (never under CI). */
export const STORE_KINDS: StoreKind[] = pgAvailable ? ['sqlite', 'postgres'] : ['sqlite'];

/** A JSON answer as the black-box tests read it. */
// biome-ignore lint/suspicious/noExplicitAny: answers are untyped JSON; the assertions check them
export type Json = any;

export interface Answer<T = Json> {
  status: number;
  headers: Headers;
  body: T;
  text: string;
}

export interface RequestOptions {
  token?: string | null;
  body?: unknown;
  /** Sent as is (not JSON-encoded). */
  rawBody?: string;
  headers?: Record<string, string>;
}

export interface TestServer {
  readonly kind: StoreKind;
  readonly url: string;
  readonly adminToken: string;
  readonly running: RunningServer;
  /** Log lines written by the server's logger. */
  readonly logs: Array<Record<string, unknown>>;
  request<T = Json>(method: string, path: string, options?: RequestOptions): Promise<Answer<T>>;
  /** A new tenant and an admin key of it. */
  tenant(name?: string): Promise<{ id: string; key: string }>;
  key(tenantId: string, role: 'admin' | 'manager' | 'pos' | 'viewer'): Promise<string>;
}

/** Registers beforeAll/afterAll that start a server on `kind` (one database per call). */
export function useServer(
  kind: StoreKind,
  config: ServerConfig = {},
  extensions: readonly ServerExtension[] = [],
  /** Environment variables over the harness's own (`''` unsets one). */
  envOverrides: NodeJS.ProcessEnv = {},
): TestServer {
  const logs: Array<Record<string, unknown>> = [];
  const logger: Logger = pino(
    { level: 'info' },
    {
      write(line: string) {
        logs.push(JSON.parse(line));
      },
    },
  );
  let running: RunningServer | undefined;
  let dir: string | undefined;
  const schema = `laas_srv_${randomBytes(5).toString('hex')}`;
  const adminToken = `admin-${randomBytes(8).toString('hex')}`;

  beforeAll(async () => {
    if (kind === 'postgres' && !pgAvailable) {
      throw new Error(`a PostgreSQL run was asked for, but ${process.env.LAAS_TEST_PG}`);
    }
    let databaseUrl: string;
    // The black-box suites count rows exactly: no background worker ingesting scheduled events.
    const env: NodeJS.ProcessEnv = { LAAS_WORKER: 'off' };
    if (kind === 'sqlite') {
      dir = mkdtempSync(join(tmpdir(), 'laas-server-'));
      databaseUrl = join(dir, 'laas.sqlite');
    } else {
      databaseUrl = urlAs(TEST_PG_URL, DEFAULT_APP_ROLE);
      env.LAAS_MIGRATE_DATABASE_URL = TEST_PG_URL;
      env.LAAS_PG_SCHEMA = schema;
      // PostgreSQL servers need the key that seals stored secrets (SQLite ones make a key file).
      env.LAAS_SECRET_KEY = TEST_SECRET_KEY;
    }
    running = await startServer({
      env: { ...env, ...envOverrides },
      databaseUrl,
      port: 0,
      host: '127.0.0.1',
      handleSignals: false,
      extensions,
      // Test receivers listen on 127.0.0.1: the test servers accept private webhook URLs.
      config: { rateLimit: false, webhookAllowPrivate: true, ...config, adminToken, logger },
    });
  });

  afterAll(async () => {
    await running?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
    if (kind === 'postgres' && pgAvailable) {
      const owner = pgStore({ connectionString: TEST_PG_URL, schema });
      await owner.db.schema.dropSchema(schema).ifExists().cascade().execute();
      await owner.close();
    }
  });

  const server: TestServer = {
    kind,
    get url() {
      if (!running) throw new Error('the server is not started');
      return running.url;
    },
    adminToken,
    get running() {
      if (!running) throw new Error('the server is not started');
      return running;
    },
    logs,
    async request(method, path, options = {}) {
      const headers: Record<string, string> = { ...options.headers };
      const token = options.token === undefined ? adminToken : options.token;
      if (token !== null) headers.authorization = `Bearer ${token}`;
      let body: string | undefined = options.rawBody;
      if (options.body !== undefined) {
        body = JSON.stringify(options.body);
        headers['content-type'] = 'application/json';
      }
      const res = await fetch(`${server.url}${path}`, { method, headers, body });
      const text = await res.text();
      let parsed: unknown;
      try {
        parsed = text === '' ? undefined : JSON.parse(text);
      } catch {
        parsed = text;
      }
      return { status: res.status, headers: res.headers, body: parsed as never, text };
    },
    async tenant(name = 'Test shop') {
      const t = await server.request('POST', '/v1/tenants', { body: { name } });
      if (t.status !== 201) throw new Error(`tenant: ${t.status} ${t.text}`);
      const key = await server.key(t.body.id, 'admin');
      return { id: t.body.id as string, key };
    },
    async key(tenantId, role) {
      const k = await server.request('POST', `/v1/tenants/${tenantId}/api-keys`, {
        body: { name: `${role} key`, role },
      });
      if (k.status !== 201) throw new Error(`key: ${k.status} ${k.text}`);
      return k.body.key as string;
    },
  };
  return server;
}

/** Asserts the error shape of DESIGN.md and returns the error. */
export function errorOf(answer: Answer): {
  code: string;
  message: string;
  details?: Json;
  requestId: string;
} {
  const e = answer.body?.error;
  if (
    typeof e !== 'object' ||
    e === null ||
    typeof e.code !== 'string' ||
    typeof e.message !== 'string' ||
    typeof e.requestId !== 'string' ||
    Object.keys(answer.body).length !== 1
  ) {
    throw new Error(`not an error body (${answer.status}): ${answer.text}`);
  }
  return e;
}
