/**
 * One schema for the whole environment, parsed before anything opens or listens: a bad variable
 * stops `laas serve` at once with exit code 1 and one message naming every bad variable, no stack
 * trace, no zombie server answering /health, no directory created for a URL that is not a path.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { pgOptionsOf } from '../src/env.js';
import { ConfigError, parseEnv } from '../src/index.js';

const ROOT = resolve(import.meta.dirname, '../../..');
const BIN = join(ROOT, 'packages/cli/dist/bin.js');

function issuesOf(env: NodeJS.ProcessEnv): string[] {
  try {
    parseEnv(env);
    return [];
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).issues.map((i) => i.variable);
  }
}

describe('parseEnv', () => {
  it('accepts an empty environment (every default applies) and treats empty variables as unset', () => {
    const empty = parseEnv({});
    expect([empty.LAAS_DATABASE_URL, empty.PORT, empty.LAAS_WORKER]).toEqual([
      undefined,
      undefined,
      undefined,
    ]);
    const blank = parseEnv({ PORT: '', LAAS_WORKER: '' });
    expect([blank.PORT, blank.LAAS_WORKER]).toEqual([undefined, undefined]);
  });

  it('parses good values into typed ones', () => {
    const env = parseEnv({
      PORT: '0',
      LAAS_WORKER: 'off',
      LAAS_WORKER_INTERVAL_MS: '250',
      LAAS_RATE_LIMIT: '10/5',
      LAAS_API_KEY_CACHE_MS: '0',
      LAAS_DATABASE_URL: 'postgres://laas_app@127.0.0.1/laas',
      LAAS_PG_LOCK_TIMEOUT_MS: '2500',
    });
    expect(env).toMatchObject({
      PORT: 0,
      LAAS_WORKER: false,
      LAAS_WORKER_INTERVAL_MS: 250,
      LAAS_RATE_LIMIT: { capacity: 10, refillPerSecond: 5 },
      LAAS_PG_LOCK_TIMEOUT_MS: 2500,
    });
    expect(parseEnv({ LAAS_RATE_LIMIT: 'off' }).LAAS_RATE_LIMIT).toBe(false);
    expect(parseEnv({ LAAS_DATABASE_URL: './data/x.sqlite' }).LAAS_DATABASE_URL).toBe('./data/x.sqlite');
    expect(parseEnv({ LAAS_DATABASE_URL: 'sqlite:///tmp/x.sqlite' }).LAAS_DATABASE_URL).toBe(
      'sqlite:///tmp/x.sqlite',
    );
  });

  it.each([
    ['LAAS_WORKER_INTERVAL_MS', 'abc'],
    ['LAAS_WORKER_INTERVAL_MS', '0'],
    ['LAAS_WORKER', 'maybe'],
    ['LAAS_API_KEY_CACHE_MS', 'soon'],
    ['LAAS_DATABASE_URL', 'mysql://x/y'],
    ['LAAS_MIGRATE_DATABASE_URL', './file.sqlite'],
    ['PORT', '70000'],
    ['PORT', '-1'],
    ['LAAS_RATE_LIMIT', 'lots'],
    ['LAAS_LOG_LEVEL', 'loud'],
    ['LAAS_SECRET_KEY', 'short'],
    ['LAAS_WA_API_VERSION', '21'],
    ['LAAS_PG_SCHEMA', 'Drop Table'],
    ['LAAS_PG_POOL_MAX', '0'],
    ['LAAS_PG_LOCK_TIMEOUT_MS', '3s'],
    ['LAAS_PG_PREPARED_STATEMENTS', 'maybe'],
  ])('refuses %s=%s, naming it', (variable, value) => {
    expect(issuesOf({ [variable]: value })).toEqual([variable]);
  });

  it('turns PostgreSQL prepared statements on only when asked (a transaction-mode pooler breaks them)', () => {
    expect(pgOptionsOf(parseEnv({})).preparedStatements).toBeUndefined();
    expect(
      pgOptionsOf(parseEnv({ LAAS_PG_PREPARED_STATEMENTS: 'false' })).preparedStatements,
    ).toBeUndefined();
    expect(pgOptionsOf(parseEnv({ LAAS_PG_PREPARED_STATEMENTS: 'true' })).preparedStatements).toBe(true);
  });

  it('names every bad variable in one error', () => {
    expect(
      issuesOf({
        LAAS_WORKER_INTERVAL_MS: 'abc',
        LAAS_WORKER: 'maybe',
        LAAS_API_KEY_CACHE_MS: 'soon',
      }).sort(),
    ).toEqual(['LAAS_API_KEY_CACHE_MS', 'LAAS_WORKER', 'LAAS_WORKER_INTERVAL_MS']);
  });
});

describe('`laas serve` with a bad environment', () => {
  const dir = mkdtempSync(join(tmpdir(), 'laas-env-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('exits 1 at once naming every bad variable, without a stack trace and without creating anything', () => {
    const result = spawnSync(process.execPath, [BIN, 'serve', '--port', '0', '--host', '127.0.0.1'], {
      cwd: dir,
      env: {
        ...process.env,
        LAAS_WORKER_INTERVAL_MS: 'abc',
        LAAS_WORKER: 'maybe',
        LAAS_API_KEY_CACHE_MS: 'soon',
        LAAS_DATABASE_URL: 'mysql://x/y',
      },
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(result.signal).toBeNull(); // it stopped by itself, no zombie for the timeout to kill
    expect(result.status).toBe(1);
    for (const name of [
      'LAAS_WORKER_INTERVAL_MS',
      'LAAS_WORKER',
      'LAAS_API_KEY_CACHE_MS',
      'LAAS_DATABASE_URL',
    ]) {
      expect(result.stderr).toContain(name);
    }
    expect(result.stderr).not.toMatch(/\n\s+at /); // no stack frames
    expect(result.stdout).not.toContain('listening');
    expect(readdirSync(dir)).toEqual([]);
    expect(existsSync(join(dir, 'mysql:'))).toBe(false);
  });
});
