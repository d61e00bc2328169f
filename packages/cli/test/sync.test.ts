import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, laas, ROOT, type Served, serve } from './helpers.js';

const ADMIN = 'sync-admin';
let server: Served;

beforeAll(async () => {
  const db = join(mkdtempSync(join(tmpdir(), 'laas-sync-')), 'laas.sqlite');
  server = await serve(['--db', db, '--port', '0'], { env: { LAAS_ADMIN_TOKEN: ADMIN } });
}, 180_000);

afterAll(async () => {
  await server?.stop();
});

/** A fresh tenant and an admin key for it. */
async function tenant(): Promise<{ tid: string; key: string; conn: string[] }> {
  const t = await api(`${server.url}/v1/tenants`, ADMIN, 'POST', { name: 'Sync', timezone: 'Africa/Accra' });
  const k = await api(`${server.url}/v1/tenants/${t.body.id}/api-keys`, ADMIN, 'POST', {
    name: 'cli',
    role: 'admin',
  });
  return {
    tid: t.body.id,
    key: k.body.key,
    conn: ['--server', server.url, '--tenant', t.body.id, '--key', k.body.key],
  };
}

function tree(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of readdirSync(dir, { recursive: true, encoding: 'utf8' }).sort()) {
    const file = join(dir, name);
    try {
      out[relative(dir, file)] = readFileSync(file, 'utf8');
    } catch {
      // a directory
    }
  }
  return out;
}

describe('laas push / pull', () => {
  it('push creates the project on the server (ids kept), pull writes it back, and the round trip is exact', async () => {
    const { tid, key, conn } = await tenant();
    const dry = await laas(['push', ...conn, 'examples/coffee-shop', '--dry-run']);
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toMatch(/budget\s+"Monthly treats"\s+create/);
    expect(dry.stdout).toContain('5 to create, 0 to update');
    expect(dry.stdout).toContain('dry run: nothing was sent');
    expect((await api(`${server.url}/v1/tenants/${tid}/rules`, key)).body.items).toHaveLength(0);

    const push = await laas(['push', ...conn, 'examples/coffee-shop']);
    expect(push.code, push.stderr).toBe(0);
    expect(push.stdout).toContain('applied: 5 created, 0 updated, 0 deleted');
    const rules = (await api(`${server.url}/v1/tenants/${tid}/rules`, key)).body.items;
    expect(rules.map((r: { id: string }) => r.id).sort()).toEqual([
      '0192f1a0-0000-7000-8000-000000000101',
      '0192f1a0-0000-7000-8000-000000000102',
    ]);

    const again = await laas(['push', ...conn, 'examples/coffee-shop', '--json']);
    expect(again.code).toBe(0);
    const plan = JSON.parse(again.stdout);
    expect(plan.changes.map((c: { action: string }) => c.action)).toEqual(Array(5).fill('unchanged'));

    const b = mkdtempSync(join(tmpdir(), 'laas-pull-b-'));
    const pull = await laas(['pull', ...conn, b]);
    expect(pull.code, pull.stderr).toBe(0);
    const files = tree(b);
    expect(Object.keys(files).sort()).toEqual([
      'budgets/monthly-treats.json',
      'rewards/birthday-pastry.json',
      'rewards/free-coffee.json',
      'rules/birthday-week-treat.json',
      'rules/stamp-card-every-5th-visit-earns-a-free-coffee.json',
    ]);
    const stamp = JSON.parse(files['rules/stamp-card-every-5th-visit-earns-a-free-coffee.json'] as string);
    const source = JSON.parse(readFileSync(join(ROOT, 'examples/coffee-shop/rules/stamp-card.json'), 'utf8'));
    expect(stamp).toMatchObject(source);
    expect(Object.keys(stamp)[0]).toBe('id');
    expect((await laas(['validate', b])).code).toBe(0);

    // The pulled project pushes as "all unchanged", and pulls again into identical files.
    const back = await laas(['push', ...conn, b, '--dry-run']);
    expect(back.stdout).toContain('0 to create, 0 to update, 0 to delete, 5 unchanged');
    const c = mkdtempSync(join(tmpdir(), 'laas-pull-c-'));
    expect((await laas(['pull', ...conn, c])).code).toBe(0);
    expect(tree(c)).toEqual(files);

    // Into another tenant: push the pulled files, pull them again: the same files.
    const other = await tenant();
    expect((await laas(['push', ...other.conn, b])).code).toBe(0);
    const d = mkdtempSync(join(tmpdir(), 'laas-pull-d-'));
    expect((await laas(['pull', ...other.conn, d])).code).toBe(0);
    expect(tree(d)).toEqual(files);
  });

  it('updates only what changed (PATCH, naming the fields), keeps remote-only rules unless --prune', async () => {
    const { tid, key, conn } = await tenant();
    const dir = mkdtempSync(join(tmpdir(), 'laas-push-'));
    cpSync(join(ROOT, 'examples/coffee-shop'), dir, { recursive: true });
    expect((await laas(['push', ...conn, dir])).code).toBe(0);

    // The proposal: the stamp card every 4th visit (same id), the birthday rule dropped, a reward's cost changed.
    cpSync(
      join(ROOT, 'examples/coffee-shop/proposals/stamp-every-4/stamp-card.json'),
      join(dir, 'rules/stamp-card.json'),
    );
    rmSync(join(dir, 'rules/birthday.json'));
    writeFileSync(
      join(dir, 'rewards/free-coffee.yaml'),
      readFileSync(join(dir, 'rewards/free-coffee.yaml'), 'utf8').replace('cost: 300', 'cost: 350'),
    );
    const dry = await laas(['push', ...conn, dir, '--dry-run']);
    expect(dry.code).toBe(0);
    expect(dry.stdout).toMatch(/reward\s+"Free coffee"\s+update: cost/);
    expect(dry.stdout).toMatch(
      /rule\s+"Stamp card: every 4th visit earns a free coffee"\s+update: name, condition/,
    );
    expect(dry.stdout).toMatch(/rule\s+"Birthday week treat"\s+only on the server/);

    const push = await laas(['push', ...conn, dir]);
    expect(push.stdout).toContain('applied: 0 created, 2 updated, 0 deleted');
    const base = `${server.url}/v1/tenants/${tid}`;
    expect((await api(`${base}/rewards/0192f1a0-0000-7000-8000-000000000001`, key)).body.cost).toBe(350);
    const stamp = (await api(`${base}/rules/0192f1a0-0000-7000-8000-000000000101`, key)).body;
    expect(stamp).toMatchObject({ name: 'Stamp card: every 4th visit earns a free coffee', version: 2 });
    expect((await api(`${base}/rules`, key)).body.items).toHaveLength(2);

    const prune = await laas(['push', ...conn, dir, '--prune']);
    expect(prune.stdout).toMatch(/rule\s+"Birthday week treat"\s+delete/);
    expect(prune.stdout).toContain('applied: 0 created, 0 updated, 1 deleted');
    expect((await api(`${base}/rules`, key)).body.items).toHaveLength(1);
    // --prune never deletes rewards or budgets.
    expect((await api(`${base}/rewards`, key)).body.items).toHaveLength(2);
  });

  it('validates first: a project with errors (or without ids) sends nothing and exits 1', async () => {
    const { tid, key, conn } = await tenant();
    const dir = mkdtempSync(join(tmpdir(), 'laas-push-bad-'));
    cpSync(join(ROOT, 'examples/coffee-shop'), dir, { recursive: true });
    writeFileSync(
      join(dir, 'rules/broken.json'),
      JSON.stringify({
        id: '0192f1a0-0000-7000-8000-000000000199',
        name: 'Broken',
        event_types: ['visit'],
        reward_id: '0192f1a0-0000-7000-8000-000000000001',
        caps: [{ scope: 'customer', max: 0, window: 'day' }],
      }),
    );
    const r = await laas(['push', ...conn, dir]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/broken\.json:\d+:\d+: rule "Broken": error at caps\[0\]\.max/);
    expect(r.stdout).toContain('nothing was sent');
    expect((await api(`${server.url}/v1/tenants/${tid}/budgets`, key)).body.items).toHaveLength(0);

    writeFileSync(
      join(dir, 'rules/broken.json'),
      JSON.stringify({
        name: 'No id',
        event_types: ['visit'],
        reward_id: '0192f1a0-0000-7000-8000-000000000001',
      }),
    );
    const noId = await laas(['push', ...conn, dir]);
    expect(noId.code).toBe(1);
    expect(noId.stdout).toContain('push needs an "id"');

    // A change the API cannot make (a reward's type) is refused before anything is sent.
    rmSync(join(dir, 'rules/broken.json'));
    expect((await laas(['push', ...conn, dir])).code).toBe(0);
    writeFileSync(
      join(dir, 'rewards/free-coffee.yaml'),
      readFileSync(join(dir, 'rewards/free-coffee.yaml'), 'utf8').replace('type: item', 'type: voucher'),
    );
    const typed = await laas(['push', ...conn, dir]);
    expect(typed.code).toBe(1);
    expect(typed.stdout).toContain('"type" cannot change once created');
  });

  it('is strict by default: a rule with an unknown variable sends nothing; --no-strict pushes it with a warning', async () => {
    const { tid, key, conn } = await tenant();
    const dir = mkdtempSync(join(tmpdir(), 'laas-push-strict-'));
    cpSync(join(ROOT, 'examples/coffee-shop'), dir, { recursive: true });
    writeFileSync(
      join(dir, 'rules/big-spend.json'),
      JSON.stringify({
        id: '0192f1a0-0000-7000-8000-000000000198',
        name: 'Big spend',
        event_types: ['purchase'],
        reward_id: '0192f1a0-0000-7000-8000-000000000001',
        condition: { '>=': [{ var: 'event.ammount' }, 5000] },
      }),
    );
    const strict = await laas(['push', ...conn, dir]);
    expect(strict.code).toBe(1);
    expect(strict.stdout).toMatch(
      /big-spend\.json:\d+:\d+: rule "Big spend": error at condition\[">="\]\[0\]\.var: .*\(did you mean event\.amount\?\)/,
    );
    expect(strict.stdout).toContain('--no-strict');
    expect(strict.stdout).toContain('nothing was sent');
    expect((await api(`${server.url}/v1/tenants/${tid}/rules`, key)).body.items).toHaveLength(0);
    expect((await api(`${server.url}/v1/tenants/${tid}/budgets`, key)).body.items).toHaveLength(0);

    const loose = await laas(['push', ...conn, dir, '--no-strict']);
    expect(loose.code, loose.stderr).toBe(0);
    expect(loose.stdout).toMatch(
      /warning: rule "Big spend" \(0192f1a0-0000-7000-8000-000000000198\) at condition\[">="\]\[0\]\.var: .*\(did you mean event\.amount\?\)/,
    );
    expect(loose.stdout).toContain('applied: 6 created');
    const rules = (await api(`${server.url}/v1/tenants/${tid}/rules`, key)).body.items;
    expect(rules.map((r: { name: string }) => r.name)).toContain('Big spend');

    // The fix goes out strict, as a PATCH with ?strict=true, and answers no warning.
    writeFileSync(
      join(dir, 'rules/big-spend.json'),
      readFileSync(join(dir, 'rules/big-spend.json'), 'utf8').replace('event.ammount', 'event.amount'),
    );
    const fixed = await laas(['push', ...conn, dir]);
    expect(fixed.code, fixed.stderr).toBe(0);
    expect(fixed.stdout).toContain('applied: 0 created, 1 updated');
    expect(fixed.stdout).not.toContain('warning');
  });

  it('exits 1 with a message when the server refuses (bad key) or cannot be reached, 2 on usage errors', async () => {
    const { tid } = await tenant();
    const bad = await laas([
      'pull',
      '--server',
      server.url,
      '--tenant',
      tid,
      '--key',
      'laas_nope',
      mkdtempSync(join(tmpdir(), 'x-')),
    ]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('401');
    const down = await laas([
      'push',
      '--server',
      'http://127.0.0.1:9',
      '--tenant',
      tid,
      '--key',
      'k',
      'examples/coffee-shop',
    ]);
    expect(down.code).toBe(1);
    expect(down.stderr).toContain('cannot reach');
    expect(
      (
        await laas(['push', '--tenant', tid, '--key', 'k', 'examples/coffee-shop'], {
          env: { LAAS_SERVER: '' },
        })
      ).code,
    ).toBe(2);
    expect(
      (await laas(['push', '--server', server.url, '--tenant', tid, '--key', 'k', 'no/such/dir'])).code,
    ).toBe(2);
  });
});
