import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Vitest global setup: builds each package whose dist is missing or older than its sources,
 * once, before any test file runs. Most tests import the TypeScript sources, but some spawn what a
 * user runs (`laas serve`, the examples, a child process killed mid-write), and those load dist.
 * One build here instead of one per test file: parallel test files would otherwise race to build.
 */
const ROOT = dirname(fileURLToPath(import.meta.url));
const PACKAGES = ['rules', 'core', 'adapters-sqlite', 'adapters-pg', 'console', 'server', 'cli'];

function newestMtime(path: string): number {
  if (!existsSync(path)) return 0;
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = 0;
  for (const name of readdirSync(path, { recursive: true, encoding: 'utf8' })) {
    const s = statSync(join(path, name));
    if (s.isFile()) newest = Math.max(newest, s.mtimeMs);
  }
  return newest;
}

function stale(pkg: string): boolean {
  const dir = join(ROOT, 'packages', pkg);
  // The console is a Vite app: its build is index.html and hashed assets.
  const dist = join(dir, pkg === 'console' ? 'dist/index.html' : 'dist/index.js');
  if (!existsSync(dist)) return true;
  const sources = Math.max(
    newestMtime(join(dir, 'src')),
    newestMtime(join(dir, 'package.json')),
    newestMtime(join(dir, 'tsup.config.ts')),
    newestMtime(join(dir, 'vite.config.ts')),
    newestMtime(join(dir, 'index.html')),
  );
  return statSync(dist).mtimeMs < sources;
}

export function setup(): void {
  const toBuild = PACKAGES.filter(stale);
  if (toBuild.length === 0) return;
  process.stderr.write(
    `[vitest] building ${toBuild.map((p) => `@laas/${p}`).join(', ')} (dist missing or stale)\n`,
  );
  // `-r` with filters builds them in dependency order; scripts/pnpm.mjs finds pnpm or fetches it.
  const filters = toBuild.flatMap((p) => ['--filter', `@laas/${p}`]);
  execFileSync(process.execPath, [join(ROOT, 'scripts/pnpm.mjs'), '-r', ...filters, 'run', 'build'], {
    cwd: ROOT,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}
