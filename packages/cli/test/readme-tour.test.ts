import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { freePort, ROOT, serve } from './helpers.js';

const run = promisify(execFile);

/** The fenced `sh` blocks of a README section (from its `## title` to the next `## `). */
function shellBlocks(title: string): string[] {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const start = readme.indexOf(`\n## ${title}\n`);
  expect(start, `README.md has no "## ${title}" section`).toBeGreaterThan(-1);
  const end = readme.indexOf('\n## ', start + 1);
  const section = readme.slice(start, end === -1 ? undefined : end);
  return [...section.matchAll(/```(?:sh|bash|shell)\n([\s\S]*?)```/g)].map((m) => m[1] as string);
}

describe('README: A tour', () => {
  it('the curl tour works against `laas serve`: the second visit earns the coffee', async () => {
    const [tour] = shellBlocks('A tour');
    expect(tour).toContain('localhost:8787');
    const port = await freePort();
    const db = join(mkdtempSync(join(tmpdir(), 'laas-tour-')), 'laas.sqlite');
    const admin = 'tour-admin-token';
    const server = await serve(['--db', db, '--port', String(port)], { env: { LAAS_ADMIN_TOKEN: admin } });
    try {
      const script = `set -euo pipefail\n${(tour as string).replaceAll('localhost:8787', `localhost:${port}`)}`;
      const { stdout } = await run('bash', ['-c', script], {
        cwd: ROOT,
        env: { ...process.env, ADMIN: admin },
        timeout: 60_000,
      });
      // The rule's curl prints no newline, so its answer and the first visit's share a line.
      const answers = stdout
        .trim()
        .replace(/}\s*{/g, '}\n{')
        .split('\n')
        .map((l) => JSON.parse(l));
      expect(answers).toHaveLength(3);
      expect(answers[0]).toMatchObject({ name: 'Every 2nd visit', event_types: ['visit'] });
      const visits = answers.slice(1);
      expect(visits[0].decisions).toEqual([expect.objectContaining({ outcome: 'not_matched' })]);
      expect(visits[1].decisions).toEqual([
        expect.objectContaining({ rule_name: 'Every 2nd visit', outcome: 'issued' }),
      ]);
      expect(visits[1].issuances[0]).toMatchObject({ state: 'issued' });
    } finally {
      await server.stop();
    }
  });

  it("the dry-run command with a backtest report works from the repository's root", async () => {
    const [block] = shellBlocks('A tour').slice(1);
    const command = (block as string).trim();
    expect(command).toMatch(/^node packages\/cli\/dist\/bin\.js dry-run /);
    const report = join(mkdtempSync(join(tmpdir(), 'laas-tour-report-')), 'report.html');
    const script = command.replace('/tmp/report.html', report);
    const { stdout } = await run('bash', ['-c', script], { cwd: ROOT, timeout: 120_000 });
    expect(stdout).toContain('Budgets per period');
    // The excerpt the README shows is what the command prints (Intl puts a no-break space after GHS).
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const tour = readme.slice(readme.indexOf('\n## A tour\n'), readme.indexOf('\n## Packages\n'));
    const excerpt = /```text\n([\s\S]*?)```/.exec(tour)?.[1] ?? '';
    expect(excerpt).toContain('GHS 50.00');
    const squash = (text: string) => text.replaceAll('\u00a0', ' ').replace(/[ \t]+/g, ' ');
    for (const line of excerpt.trim().split('\n')) expect(squash(stdout)).toContain(squash(line).trim());
    expect(stdout).toContain(`Report written to ${report}`);
    expect(existsSync(report)).toBe(true);
    expect(readFileSync(report, 'utf8')).toContain('<svg');
    rmSync(report);
  });
});
