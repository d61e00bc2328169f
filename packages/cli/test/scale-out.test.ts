/**
 * Scale-out, as packages/adapters-pg/docs/scale-out.md describes it: two `laas serve` processes
 * (API only, LAAS_WORKER=off) and two `laas worker` processes, the built binary in child
 * processes, on one PostgreSQL schema — connected directly, and through PgBouncer in transaction
 * mode. Events are sent to both servers at once, some with the same idempotency key to both; the
 * same voucher is redeemed through both at once. Then DESIGN.md's invariants are checked on the
 * database, and every webhook is seen delivered exactly once although two workers shared the work.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { DEFAULT_APP_ROLE, migratePg, pgStore } from '@laas/adapters-pg';
import { createEngine, type Engine } from '@laas/core';
import { expectInvariants, seedPointsAndVouchers } from '@laas/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, freePort, ROOT, receiver, type Served, serve } from './helpers.js';
import { findPgBouncer, type PgBouncer, startPgBouncer } from './pgbouncer.js';

const PG_URL = process.env.LAAS_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const pgAvailable = process.env.LAAS_TEST_PG === 'on';
if (!pgAvailable) console.warn(`[cli] skipping the scale-out tests: ${process.env.LAAS_TEST_PG}`);
const bouncer = findPgBouncer();
if (bouncer.path === null)
  console.warn(`[cli] skipping the scale-out test through PgBouncer: ${bouncer.why}`);

interface PgClient {
  connect(): Promise<void>;
  // biome-ignore lint/suspicious/noExplicitAny: rows of every shape
  query(text: string): Promise<{ rows: any[] }>;
  end(): Promise<void>;
}
// pg is a dependency of @laas/adapters-pg, not of the CLI: load it from there (typed locally).
const pg = createRequire(join(ROOT, 'packages/adapters-pg/package.json'))('pg') as {
  Client: new (config: { connectionString: string; lock_timeout?: number }) => PgClient;
};

const ADMIN_TOKEN = `laas-admin-${randomBytes(12).toString('hex')}`;
const SECRET_KEY = 'cd'.repeat(32);
const VOUCHER_COST = 100;
const HARD_LIMIT = 6 * VOUCHER_COST;

function as(url: string, user: string): string {
  const u = new URL(url);
  u.username = user;
  u.password = '';
  return u.toString();
}

interface WorkerProcess {
  output(): string;
  /** Resolves once the worker has migrated, opened the store and started ticking. */
  running(): Promise<void>;
  stop(): Promise<number>;
}

function startWorkerProcess(db: string, env: Record<string, string>): WorkerProcess {
  const child: ChildProcess = spawn(process.execPath, [BIN, 'worker', '--db', db], {
    cwd: ROOT,
    env: { ...process.env, ...env },
  });
  let output = '';
  child.stdout?.on('data', (d) => {
    output += d;
  });
  child.stderr?.on('data', (d) => {
    output += d;
  });
  const exited = new Promise<number>((done) => child.on('close', (code) => done(code ?? -1)));
  return {
    output: () => output,
    async running() {
      for (let i = 0; !output.includes('laas worker running'); i++) {
        if (child.exitCode !== null || i > 600) throw new Error(`laas worker did not start:\n${output}`);
        await new Promise((done) => setTimeout(done, 50));
      }
    },
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}

/** POST with bounded retries on 503 (a client retries with the same idempotency key). */
async function post(
  url: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: Record<string, unknown> }> {
  for (let attempt = 1; ; attempt++) {
    const { key, ...rest } = headers;
    const res = await fetch(url, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${key}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...rest,
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const answer = { status: res.status, body: (await res.json()) as Record<string, unknown> };
    if (res.status !== 503 || attempt >= 8) return answer;
    await new Promise((done) => setTimeout(done, 200 * attempt));
  }
}

async function until(check: () => Promise<boolean>, what: string, attempts = 600): Promise<void> {
  for (let i = 0; i < attempts; i++) {
    if (await check()) return;
    await new Promise((done) => setTimeout(done, 100));
  }
  throw new Error(`gave up waiting for ${what}`);
}

/** Runs `tasks` with at most `width` in flight. */
async function inParallel<T>(tasks: Array<() => Promise<T>>, width: number): Promise<T[]> {
  const results: T[] = new Array(tasks.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < tasks.length) {
        const index = next++;
        results[index] = await (tasks[index] as () => Promise<T>)();
      }
    }),
  );
  return results;
}

const ROUTES = [
  { name: 'directly', viaBouncer: false, run: pgAvailable },
  {
    name: 'through PgBouncer (transaction mode)',
    viaBouncer: true,
    run: pgAvailable && bouncer.path !== null,
  },
] as const;

describe.each(ROUTES)('two servers and two workers on one PostgreSQL, $name', ({ viaBouncer, run }) => {
  const schema = `laas_scale_${randomBytes(5).toString('hex')}`;
  let pgb: PgBouncer | undefined;
  let engine: Engine;
  let closeStore: () => Promise<void>;

  beforeAll(async () => {
    if (!run) return;
    // Migrations go to PostgreSQL directly, as the owner: Kysely's migrator holds a session-level
    // advisory lock, which a transaction-mode bouncer would hand to someone else.
    await migratePg({ connectionString: PG_URL, schema, appRole: DEFAULT_APP_ROLE });
    const store = pgStore({ connectionString: as(PG_URL, DEFAULT_APP_ROLE), schema });
    engine = createEngine({ store });
    closeStore = () => store.close();
    if (viaBouncer && bouncer.path !== null) {
      pgb = await startPgBouncer({
        binary: bouncer.path,
        port: await freePort(),
        upstreamUrl: PG_URL,
        users: [DEFAULT_APP_ROLE],
        poolSize: 6,
      });
    }
  });

  afterAll(async () => {
    if (!run) return;
    await closeStore?.();
    await pgb?.stop();
    const owner = new pg.Client({ connectionString: PG_URL });
    await owner.connect();
    await owner.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await owner.end();
  });

  it.skipIf(!run)(
    'keeps every invariant, answers a replay sent to both servers once, redeems a voucher once, delivers each webhook once',
    async () => {
      const appUrl = as(PG_URL, DEFAULT_APP_ROLE);
      const processUrl = pgb ? pgb.via(appUrl) : appUrl;

      if (pgb) {
        // The timeouts the store sends in its startup packet are dropped by the bouncer
        // (ignore_startup_parameters); its connect_query sets them on every server connection.
        const client = new pg.Client({ connectionString: processUrl, lock_timeout: 3000 });
        await client.connect();
        try {
          const { rows } = await client.query('SHOW lock_timeout');
          expect(rows[0].lock_timeout).toBe('3s');
        } finally {
          await client.end();
        }
      }

      // The merchant's programme: points on purchases; a voucher per customer on a visit, from a
      // hard budget that holds six.
      const tenant = await engine.tenants.create({ name: 'Scale-out shop', timezone: 'UTC' });
      const t = tenant.id;
      const { voucher } = await seedPointsAndVouchers(engine, t, {
        budgetLimit: HARD_LIMIT,
        voucherCost: VOUCHER_COST,
        codes: 10,
        codePrefix: 'SCALE-',
        perCustomer: 1,
      });
      const { key } = await engine.apiKeys.create(t, { name: 'till', role: 'admin' });
      const hooks = await receiver();
      await engine.webhooks.create(t, { url: hooks.url, events: ['customer.enrolled', 'reward.issued'] });

      const env = {
        LAAS_PG_SCHEMA: schema,
        LAAS_MIGRATE_DATABASE_URL: PG_URL,
        LAAS_ADMIN_TOKEN: ADMIN_TOKEN,
        LAAS_SECRET_KEY: SECRET_KEY,
        LAAS_PG_POOL_MAX: '6',
        LAAS_LOG_LEVEL: 'warn',
        LAAS_WEBHOOK_ALLOW_PRIVATE: 'true',
        LAAS_WORKER_INTERVAL_MS: '100',
      };
      const servers: Served[] = [];
      const workers: WorkerProcess[] = [];
      try {
        for (let i = 0; i < 2; i++) {
          servers.push(
            await serve(['--db', processUrl, '--port', '0', '--host', '127.0.0.1'], {
              env: { ...env, LAAS_WORKER: 'off', LAAS_LOG_LEVEL: 'info' },
            }),
          );
          workers.push(startWorkerProcess(processUrl, { ...env, LAAS_LOG_LEVEL: 'info' }));
        }
        // Both workers are up (and handle SIGTERM) before the first event.
        await Promise.all(workers.map((w) => w.running()));
        const events = (i: number) => `${servers[i % 2]?.url}/v1/tenants/${t}/events`;

        // 12 customers: 3 visits and 2 purchases each, spread over both servers, 8 at a time.
        const phones = Array.from({ length: 12 }, (_, i) => `+26377100${String(i).padStart(4, '0')}`);
        const sends: Array<() => Promise<{ key: string; status: number; body: Record<string, unknown> }>> =
          [];
        let n = 0;
        for (let round = 0; round < 3; round++) {
          for (const phone of phones) {
            for (const type of round < 2 ? ['visit', 'purchase'] : ['visit']) {
              const i = n++;
              const idem = `scale-${i}`;
              sends.push(async () => ({
                key: idem,
                ...(await post(
                  events(i),
                  { type, customer: { phone }, data: type === 'purchase' ? { amount: 1250 + i } : {} },
                  { key, 'idempotency-key': idem },
                )),
              }));
            }
          }
        }
        // The same key to both servers at once: one event, one outcome.
        const replays = Array.from({ length: 6 }, (_, i) => `scale-replay-${i}`);
        for (const idem of replays) {
          const body = { type: 'purchase', customer: { phone: phones[0] }, data: { amount: 999 } };
          sends.push(async () => {
            const [a, b] = await Promise.all(
              [0, 1].map((s) => post(events(s), body, { key, 'idempotency-key': idem })),
            );
            expect(a?.status, JSON.stringify(a?.body)).toBeLessThan(300);
            expect(b?.status, JSON.stringify(b?.body)).toBeLessThan(300);
            expect(b?.body.event_id).toBe(a?.body.event_id);
            expect(b?.body.decisions).toEqual(a?.body.decisions);
            return { key: idem, ...(a as { status: number; body: Record<string, unknown> }) };
          });
        }
        const answers = await inParallel(sends, 8);
        for (const a of answers) expect(a.status, `${a.key}: ${JSON.stringify(a.body)}`).toBeLessThan(300);

        // The hard budget was reached across processes, and held exactly.
        const decisions = answers.flatMap(
          (a) => (a.body.decisions as Array<{ rule_name: string; outcome: string }>) ?? [],
        );
        const voucherOutcomes = decisions.filter((d) => d.rule_name === 'voucher').map((d) => d.outcome);
        expect(voucherOutcomes.filter((o) => o === 'issued')).toHaveLength(HARD_LIMIT / VOUCHER_COST);
        expect(voucherOutcomes).toContain('budget_exhausted');
        expect(voucherOutcomes).toContain('cap_reached');
        const stored = await engine.events.list(t, {}, { limit: 200 });
        expect(stored.items).toHaveLength(n + replays.length);

        // One voucher redeemed through both servers at once: one 200, one 409.
        const issued = (await engine.issuances.list(t, { state: 'issued' }, { limit: 200 })).items.find(
          (i) => i.reward_id === voucher.id,
        );
        expect(issued).toBeDefined();
        const redeemed = await Promise.all(
          [0, 1].map((s) =>
            post(`${servers[s]?.url}/v1/tenants/${t}/issuances/${issued?.id}/redeem`, undefined, {
              key,
            }).then((r) => r.status),
          ),
        );
        expect(redeemed.sort()).toEqual([200, 409]);

        // Both workers ticked; every outbox row the subscription wants is delivered once.
        const outbox = (await engine.outbox.list(t, { limit: 200 })).items.filter((o) =>
          ['customer.enrolled', 'reward.issued'].includes(o.type),
        );
        // Enrolments, vouchers, and points for every purchase (each earns at least one point).
        const purchases = phones.length * 2 + replays.length;
        expect(outbox.length).toBe(phones.length + HARD_LIMIT / VOUCHER_COST + purchases);
        await until(async () => hooks.received.length >= outbox.length, 'the webhooks');
        const subscription = (await engine.webhooks.list(t)).items[0];
        await until(async () => {
          const deliveries = (await engine.webhooks.deliveries(t, subscription?.id as string, { limit: 200 }))
            .items;
          return deliveries.length === outbox.length && deliveries.every((d) => d.status === 'delivered');
        }, 'every delivery to be recorded as delivered');
        const ids = hooks.received.map((r) => r.headers['webhook-id']);
        expect(ids).toHaveLength(outbox.length);
        expect(new Set(ids)).toEqual(new Set(outbox.map((o) => o.id)));

        await expectInvariants(engine, t, 'UTC');
      } finally {
        const codes = await Promise.all([
          ...servers.map(async (s) => {
            await s.stop();
            return 0;
          }),
          ...workers.map((w) => w.stop()),
        ]);
        await hooks.close();
        expect(codes).toEqual([0, 0, 0, 0]);
        for (const w of workers) expect(w.output()).not.toMatch(/"level":(50|60)/);
      }
    },
    120_000,
  );
});
