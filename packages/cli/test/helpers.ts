import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
export const BIN = join(ROOT, 'packages/cli/dist/bin.js');

function newest(dir: string): number {
  let t = 0;
  for (const name of readdirSync(dir, { recursive: true, encoding: 'utf8' })) {
    const s = statSync(join(dir, name));
    if (s.isFile()) t = Math.max(t, s.mtimeMs);
  }
  return t;
}

function sleep(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/**
 * Builds what the tests spawn when it is missing: the packages' dist (once, all of them) and the
 * CLI's dist when older than its sources. A lock directory keeps parallel test files from building
 * at the same time.
 */
export function ensureBuilt(): void {
  const depsBuilt = ['rules', 'core', 'adapters-sqlite'].every((p) =>
    existsSync(join(ROOT, 'packages', p, 'dist/index.js')),
  );
  const cliFresh = existsSync(BIN) && statSync(BIN).mtimeMs >= newest(join(ROOT, 'packages/cli/src'));
  if (depsBuilt && cliFresh) return;
  const lock = join(ROOT, 'packages/cli/.build-lock');
  const deadline = Date.now() + 180_000;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${lock}; remove it if no build runs`);
      sleep(500);
    }
  }
  try {
    if (
      !['rules', 'core', 'adapters-sqlite'].every((p) =>
        existsSync(join(ROOT, 'packages', p, 'dist/index.js')),
      )
    ) {
      for (const p of ['@laas/rules', '@laas/core', '@laas/adapters-sqlite']) {
        execFileSync('pnpm', ['--filter', p, 'build'], { cwd: ROOT, stdio: 'ignore' });
      }
    }
    if (!(existsSync(BIN) && statSync(BIN).mtimeMs >= newest(join(ROOT, 'packages/cli/src')))) {
      execFileSync('pnpm', ['--filter', '@laas/cli', 'build'], { cwd: ROOT, stdio: 'ignore' });
    }
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the built `laas` binary (not a terminal, so no colour and no progress line), without blocking the worker. */
export function laas(
  args: string[],
  options: { cwd?: string; nodeArgs?: string[]; env?: Record<string, string> } = {},
): Promise<Run> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [...(options.nodeArgs ?? []), BIN, ...args], {
      cwd: options.cwd ?? ROOT,
      env: { ...process.env, NO_COLOR: '', FORCE_COLOR: '', ...options.env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    child.on('error', reject);
    child.on('close', (code) => resolvePromise({ code: code ?? -1, stdout, stderr }));
  });
}
