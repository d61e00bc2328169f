/**
 * A child process ingesting in a loop is killed with SIGKILL mid-run. After a restart the
 * invariants hold and no event is half-applied: an event has its outcome, issuances, ledger rows
 * and outbox rows, or none of them.
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
    const exited = new Promise<NodeJS.Signals | null>((resolve) =>
      child.on('exit', (_code, signal) => resolve(signal)),
    );
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (chunk: Buffer) => {
        const counts = chunk.toString().trim().split('\n').map(Number);
        if (Math.max(...counts) >= 200) resolve();
      });
      child.on('exit', () => reject(new Error(`the ingest loop exited early: ${stderr}`)));
    });
    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');

    // "Restart": a new store over the same database.
    await store.close();
    const restarted = pgStore({ connectionString: db.appUrl, schema: db.schema });
    try {
      const after = createEngine({ store: restarted });
      const s = await expectInvariants(after, tenant.id, tenant.timezone);
      expect(s.events.length).toBeGreaterThanOrEqual(200);

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
