import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { api, serve } from './helpers.js';

const DEMO_TENANT = '0192f1a0-0000-7000-8000-00000000de00';

/** The printed commands after "Try it:", run with bash, one output line per command. */
function runPrinted(output: string): string[] {
  const script = output.slice(output.indexOf('# 1.'), output.indexOf('\n', output.lastIndexOf('/redeem')));
  return execFileSync('bash', ['-c', script], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
    .trim()
    .split('\n');
}

describe('laas serve --demo', () => {
  it('seeds the coffee-shop tenant once, prints its key and three curl commands that work pasted', async () => {
    const db = join(mkdtempSync(join(tmpdir(), 'laas-demo-')), 'demo.sqlite');
    const env = { LAAS_ADMIN_TOKEN: 'demo-admin' };
    const first = await serve(['--demo', '--db', db, '--port', '0'], { env });
    let key: string;
    try {
      await first.waitFor('/redeem');
      const out = first.output();
      expect(out).toContain(`tenant id: ${DEMO_TENANT}`);
      key = (/admin API key \(shown once[^)]*\): (laas_\S+)/.exec(out) as RegExpExecArray)[1] as string;
      expect(out).not.toContain('already in this database');
      expect(out).toContain(first.url);

      const [visit, list, redeem] = runPrinted(out).map((l) => JSON.parse(l));
      expect(visit.decisions).toContainEqual(
        expect.objectContaining({
          rule_name: 'Stamp card: every 5th visit earns a free coffee',
          outcome: 'issued',
        }),
      );
      expect(list.items.map((i: { id: string }) => i.id)).toEqual(visit.issuance_ids);
      expect(redeem).toMatchObject({ id: visit.issuance_ids[0], state: 'redeemed' });

      // Kwame's birthday is this week: a visit earns the pastry (the birthday rule is live).
      const kwame = await api(
        `${first.url}/v1/tenants/${DEMO_TENANT}/events`,
        key,
        'POST',
        {
          type: 'visit',
          customer: { external_ref: 'kwame' },
        },
        { 'idempotency-key': 'kwame-1' },
      );
      expect(kwame.body.decisions).toContainEqual(
        expect.objectContaining({ rule_name: 'Birthday week treat', outcome: 'issued' }),
      );
    } finally {
      await first.stop();
    }

    // A second --demo start on the same database duplicates nothing; the old key still works.
    const second = await serve(['--demo', '--db', db, '--port', '0'], { env });
    try {
      await second.waitFor('/redeem');
      expect(second.output()).toContain('already in this database');
      const newKey = (
        /admin API key \(shown once[^)]*\): (laas_\S+)/.exec(second.output()) as RegExpExecArray
      )[1];
      expect(newKey).not.toBe(key);
      const base = `${second.url}/v1/tenants/${DEMO_TENANT}`;
      expect((await api(`${base}/rules`, key)).body.items).toHaveLength(2);
      expect((await api(`${base}/rewards`, key)).body.items).toHaveLength(2);
      expect((await api(`${base}/budgets`, key)).body.items).toHaveLength(1);
      expect((await api(`${base}/customers`, key)).body.items).toHaveLength(2);
      const events = (await api(`${base}/events`, key)).body.items;
      expect(events).toHaveLength(6); // 4 seed visits, the pasted visit, Kwame's
      const tenants = (await api(`${second.url}/v1/tenants`, 'demo-admin')).body.items;
      expect(tenants.filter((t: { id: string }) => t.id === DEMO_TENANT)).toHaveLength(1);
      // The pasted visit again: a replay, no second coffee.
      const [again] = runPrinted(second.output()).map((l) => JSON.parse(l));
      expect(again.replayed).toBe(true);
    } finally {
      await second.stop();
    }
  });
});
