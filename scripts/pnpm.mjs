// Runs the pinned pnpm whether or not it is installed: a fresh machine has only Node and npm
// (corepack cannot verify pnpm's signature here, see shared/TOOLCHAIN.md), so fall back to npx.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

const pinned = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).packageManager;
const version = pinned.split('@')[1];
const args = process.argv.slice(2);
const have = spawnSync('pnpm', ['--version'], { encoding: 'utf8', shell: false });
const useLocal = have.status === 0 && have.stdout.trim() === version;
const [cmd, cmdArgs] = useLocal ? ['pnpm', args] : ['npx', ['-y', `pnpm@${version}`, ...args]];
const run = spawnSync(cmd, cmdArgs, { stdio: 'inherit' });
process.exit(run.status ?? 1);
