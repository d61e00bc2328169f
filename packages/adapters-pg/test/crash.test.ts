/**
 * A child process ingesting in a loop is killed with SIGKILL mid-run. After a restart every event
 * the child saw committed is there with its effects, the invariants hold, and no event is
 * half-applied: an event has its outcome, issuances, ledger rows and outbox rows, or none of them.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createEngine } from '@laas/core';
import { expectInvariants } from '@laas/core/testing';
import { describe, expect, it } from 'vitest';
import { pgStore } from '../src/index.js';
// @ts-expect-error plain JavaScript fixture shared with the child process
import { scarceEvent, seedScarceWorld } from './fixtures/world.mjs';
import { pgTestDb } from './pg-test-db.js';

const db = pgTestDb();
const _root = fileURLToPath(new URL('../../..', import.meta.url));
const loop = fileURLToPath(new URL('./fixtures/ingest-loop.mjs', import.meta.url));

describe.skipIf(!db.available)('postgres crash', () => {
  it('SIGKILL mid-run loses no state change and half-applies no event', async () => {
    const store = pgStore({ connectionString: db.appUrl, schema: db.schema });
    const engine = createEngine({ store });
    const { tenant } = await seedScarceWorld(engine);

    const child = spawn(process.execPath, [loop, db.appUrl, db.schema, tenant.id, 'crash'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    // Every line is an event whose ingest had committed when the child wrote it.
    let stdout = '';
    const committedLines = () => stdout.split('\n').slice(0, -1);
    const closed = new Promise<void>((resolve) => child.stdout.on('close', () => resolve()));
    const exited = new Promise<NodeJS.Signals | null>((resolve) =>
      child.on('exit', (_code, signal) => resolve(signal)),
    );
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (chunk: Buffer) => {
        stdout += chunk.toString();
        if (committedLines().length >= 200) resolve();
      });
      child.on('exit', () => reject(new Error(`the ingest loop exited early: ${stderr}`)));
    });
    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');
    await closed;
    const committed = committedLines().map(
      (line) => JSON.parse(line) as { key: string; event_id: string; issuance_ids: string[] },
    );
    expect(committed.length).toBeGreaterThanOrEqual(200);

    // "Restart": a new store over the same database.
    await store.close();
    const restarted = pgStore({ connectionString: db.appUrl, schema: db.schema });
    try {
      const after = createEngine({ store: restarted });
      const s = await expectInvariants(after, tenant.id, tenant.timezone);
      // Exactly: every event the child saw committed is there, with the issuances it was told of
      // (each with its outbox row: the invariants check that), nothing more for its key.
      const byKey = new Map(s.events.map((e) => [e.idempotency_key, e]));
      for (const c of committed) {
        const event = byKey.get(c.key);
        expect(event?.id, `committed event ${c.key}`).toBe(c.event_id);
        expect(event?.outcome?.issuance_ids, `issuances of ${c.key}`).toEqual(c.issuance_ids);
        for (const id of c.issuance_ids) {
          expect(s.issuances.find((i) => i.id === id)?.event_id, `issuance ${id} of ${c.key}`).toBe(
            c.event_id,
          );
        }
      }
      // In flight at the kill: at most the child's four workers' events, each whole or absent.
      expect(s.events.length - committed.length).toBeGreaterThanOrEqual(0);
      expect(s.events.length - committed.length).toBeLessThanOrEqual(4);

      const owner = db.owner();
      const orphans = async (sql: string) => Number((await owner.query(sql, [tenant.id])).rows[0].n);
      const q = (table: string) => `"${db.schema}".${table}`;
      expect(
        await orphans(`SELECT count(*) AS n FROM ${q('events')} WHERE tenant_id = $1 AND outcome IS NULL`),
      ).toBe(0);
      expect(
        await orphans(
          `SELECT count(*) AS n FROM ${q('issuances')} i WHERE i.tenant_id = $1 AND i.event_id IS NOT NULL
           AND NOT EXISTS (SELECT 1 FROM ${q('events')} e WHERE e.tenant_id = i.tenant_id AND e.id = i.event_id)`,
        ),
      ).toBe(0);
      expect(
        await orphans(
          `SELECT count(*) AS n FROM ${q('budget_ledger')} l WHERE l.tenant_id = $1 AND l.issuance_id IS NOT NULL
           AND NOT EXISTS (SELECT 1 FROM ${q('issuances')} i WHERE i.tenant_id = l.tenant_id AND i.id = l.issuance_id)`,
        ),
      ).toBe(0);
      expect(
        await orphans(
          `SELECT count(*) AS n FROM ${q('outbox')} o WHERE o.tenant_id = $1 AND o.data ? 'issuance'
           AND NOT EXISTS (SELECT 1 FROM ${q('issuances')} i WHERE i.tenant_id = o.tenant_id AND i.id = (o.data->'issuance'->>'id')::uuid)`,
        ),
      ).toBe(0);
      // Every issuance an event's outcome names exists, and every issuance is named by its event.
      const named = new Set(s.events.flatMap((e) => e.outcome?.issuance_ids ?? []));
      expect(s.issuances.filter((i) => i.event_id !== null).every((i) => named.has(i.id))).toBe(true);
      expect([...named].every((id) => s.issuances.some((i) => i.id === id))).toBe(true);

      // The database keeps working after the crash: the next events go through.
      for (let i = 10_000; i < 10_010; i++) await after.ingest(tenant.id, scarceEvent('after', i, 50));
      await expectInvariants(after, tenant.id, tenant.timezone);
    } finally {
      await restarted.close();
    }
  }, 300_000);
});
