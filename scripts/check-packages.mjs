#!/usr/bin/env node
/**
 * Checks what `npm publish` would ship, from the built packages (run `pnpm build` first):
 *
 * 1. checks the runtime versions: every package's engines.node is the root's, this Node is within
 *    it, and the README's "Node versions" section names Node 22 LTS and the range;
 * 2. packs every package under packages/ with `pnpm pack` (which applies `publishConfig` and
 *    replaces `workspace:` ranges), into a temporary directory;
 * 3. checks each tarball's package.json: LICENSE and README.md shipped, repository, homepage, bugs,
 *    keywords, engines and publishConfig.access set, no `workspace:` range, no `@laas/source`
 *    export condition (it points at src/, which is not shipped), every path `exports` names present
 *    in the tarball, and `exports` otherwise the same as the workspace's;
 * 4. runs publint and attw (are-the-types-wrong, default "strict" profile: node10, node16 CJS and
 *    ESM, bundler) on each tarball; any error fails the check;
 * 5. installs the tarballs into throwaway projects with npm, as a user would: @laas/server alone
 *    must install neither database driver (no better-sqlite3, no pg), load as ESM and CommonJS,
 *    and name the package to install when a database URL needs a missing adapter; @laas/cli must
 *    bring SQLite (its default) but not pg. The installs' package counts and sizes are printed.
 *
 * Usage: node scripts/check-packages.mjs [--keep] [--skip-install]
 * Exit code 0 when everything passes, 1 otherwise (each failure is printed).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import {
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const keep = process.argv.includes('--keep');
const skipInstall = process.argv.includes('--skip-install');
const BIN = join(ROOT, 'node_modules/.bin');
const failures = [];
const fail = (what) => {
  failures.push(what);
  console.error(`  FAIL ${what}`);
};

const work = mkdtempSync(join(tmpdir(), 'laas-packages-'));
const tarballs = join(work, 'tarballs');
mkdirSync(tarballs);

/** Runs a command, returning { status, output } (stdout and stderr together). */
function run(command, args, options = {}) {
  const r = spawnSync(command, args, { encoding: 'utf8', ...options });
  return { status: r.status ?? 1, output: `${r.stdout ?? ''}${r.stderr ?? ''}` };
}

/** Every string leaf of an `exports` map, with the conditions leading to it. */
function exportTargets(value, path = []) {
  if (typeof value === 'string') return [{ path, target: value }];
  if (value === null || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([key, v]) => exportTargets(v, [...path, key]));
}

function withoutSourceCondition(value) {
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([key]) => key !== '@laas/source')
      .map(([key, v]) => [key, withoutSourceCondition(v)]),
  );
}

const packages = readdirSync(join(ROOT, 'packages'))
  .filter((dir) => existsSync(join(ROOT, 'packages', dir, 'package.json')))
  .map((dir) => ({ dir, pkg: JSON.parse(readFileSync(join(ROOT, 'packages', dir, 'package.json'), 'utf8')) }))
  .filter(({ pkg }) => !pkg.private);

/** Whether `version` (`v20.20.2`) is in `range`, a `||` of `^M.m.p` and `>=M.m.p` (what engines use here). */
function satisfies(version, range) {
  const parse = (v) => v.replace(/^v/, '').split('.').map(Number);
  const [major, minor, patch] = parse(version);
  const cmp = (a, b) => a[0] - b[0] || a[1] - b[1] || a[2] - b[2];
  return range.split('||').some((part) => {
    const m = /^\s*(\^|>=)(\d+\.\d+\.\d+)\s*$/.exec(part);
    if (m === null) throw new Error(`engines range part not understood: ${part}`);
    const low = parse(m[2]);
    return cmp([major, minor, patch], low) >= 0 && (m[1] === '>=' || major === low[0]);
  });
}

// Runtime versions: one engines range, the root's, in every package; this Node within it; the
// README's "Node versions" section quoting it.
const engines = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).engines?.node;
console.log(`== engines: node ${engines}; running ${process.version}`);
if (engines === undefined) fail('the root package.json has no engines.node');
else {
  if (!satisfies(process.version, engines))
    fail(`this Node (${process.version}) is outside engines ${engines}`);
  for (const { pkg } of packages) {
    if (pkg.engines?.node !== engines)
      fail(`${pkg.name}: engines.node ${pkg.engines?.node} is not the root's ${engines}`);
  }
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Node versions'));
  if (
    !readme.includes('## Node versions') ||
    !section.includes(engines) ||
    !section.includes('Node 22 LTS')
  ) {
    fail(`README.md: the "Node versions" section does not name Node 22 LTS and ${engines}`);
  }
}

const tarballOf = new Map();
for (const { dir, pkg } of packages) {
  console.log(`== ${pkg.name}`);
  const packed = run('pnpm', ['pack', '--pack-destination', tarballs], { cwd: join(ROOT, 'packages', dir) });
  const file = packed.output
    .split('\n')
    .map((line) => line.trim())
    .find((line) => line.endsWith('.tgz'));
  if (packed.status !== 0 || file === undefined) {
    fail(`${pkg.name}: pnpm pack failed\n${packed.output}`);
    continue;
  }
  const tarball = file.startsWith('/') ? file : join(tarballs, file);
  tarballOf.set(pkg.name, tarball);

  const listing = execFileSync('tar', ['-tzf', tarball], { encoding: 'utf8' })
    .split('\n')
    .filter(Boolean)
    .map((f) => f.replace(/^package\//, ''));
  const shipped = JSON.parse(
    execFileSync('tar', ['-xzOf', tarball, 'package/package.json'], { encoding: 'utf8' }),
  );
  for (const file of ['LICENSE', 'README.md', 'package.json']) {
    if (!listing.includes(file)) fail(`${pkg.name}: ${file} is not in the tarball`);
  }
  for (const field of ['license', 'repository', 'homepage', 'bugs', 'keywords', 'engines']) {
    if (shipped[field] === undefined) fail(`${pkg.name}: no "${field}" in the published package.json`);
  }
  if (shipped.publishConfig?.access !== 'public') fail(`${pkg.name}: publishConfig.access is not "public"`);
  const text = JSON.stringify(shipped);
  if (text.includes('workspace:'))
    fail(`${pkg.name}: a workspace: range is left in the published package.json`);
  if (text.includes('@laas/source'))
    fail(`${pkg.name}: the published package.json has the @laas/source condition`);
  for (const { path, target } of exportTargets(shipped.exports)) {
    if (!listing.includes(target.replace(/^\.\//, ''))) {
      fail(`${pkg.name}: exports ${path.join(' > ')} -> ${target}, which is not in the tarball`);
    }
  }
  // publishConfig.exports restates the exports map without the development condition: keep them equal.
  if (JSON.stringify(shipped.exports) !== JSON.stringify(withoutSourceCondition(pkg.exports))) {
    fail(`${pkg.name}: publishConfig.exports is not package.json's exports without "@laas/source"`);
  }

  const publint = run(join(BIN, 'publint'), ['run', tarball, '--level', 'warning']);
  console.log(publint.output.trimEnd().replace(/^/gm, '  publint: '));
  // publint exits 1 on errors only; a warning is made a failure here as well.
  if (publint.status !== 0 || /^\s*Warnings?:/m.test(publint.output)) fail(`${pkg.name}: publint`);

  // The default (strict) profile: node10, node16 from CJS and from ESM, bundler. No rule ignored.
  const attw = run(join(BIN, 'attw'), [tarball, '--format', 'ascii', '--no-emoji', '--no-color']);
  const summary = attw.output.match(/No problems found|[^\n]*(?:failed|masquerad|error)[^\n]*/i)?.[0];
  console.log(`  attw: ${summary ?? '(see below)'}`);
  if (attw.status !== 0) {
    console.log(attw.output.trimEnd().replace(/^/gm, '  attw: '));
    fail(`${pkg.name}: attw`);
  }
}

/** Package count and bytes (apparent size, symlinks not followed) of a node_modules tree. */
function measure(dir) {
  let count = 0;
  let bytes = 0;
  const walk = (path, inNodeModules) => {
    for (const entry of readdirSync(path, { withFileTypes: true })) {
      const full = join(path, entry.name);
      if (entry.isSymbolicLink()) continue;
      if (entry.isDirectory()) {
        if (inNodeModules && !entry.name.startsWith('@') && !entry.name.startsWith('.')) count++;
        walk(full, entry.name === 'node_modules' || (inNodeModules && entry.name.startsWith('@')));
      } else {
        bytes += lstatSync(full).size;
      }
    }
  };
  walk(join(dir, 'node_modules'), true);
  return { count, mb: bytes / 1024 / 1024 };
}

function installProject(name, packageNames) {
  const dir = join(work, name);
  mkdirSync(dir);
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name, private: true, type: 'module' }));
  const files = packageNames.map((p) => {
    const file = tarballOf.get(p);
    if (file === undefined) throw new Error(`no tarball for ${p}`);
    return file;
  });
  // Install scripts are not run: better-sqlite3 would compile for minutes, and what is checked here
  // is which packages get installed and that the server's JavaScript loads.
  const npm = run(
    'npm',
    ['install', '--no-audit', '--no-fund', '--ignore-scripts', '--loglevel=error', ...files],
    {
      cwd: dir,
    },
  );
  if (npm.status !== 0) {
    fail(`${name}: npm install of ${packageNames.join(', ')} failed\n${npm.output}`);
    return undefined;
  }
  // One @laas/core per install: two copies would mean two LaasError classes (instanceof fails).
  const cores = execFileSync('find', ['node_modules', '-path', '*/@laas/core/package.json'], {
    cwd: dir,
    encoding: 'utf8',
  })
    .split('\n')
    .filter(Boolean);
  if (cores.length !== 1)
    fail(`${name}: ${cores.length} copies of @laas/core installed: ${cores.join(', ')}`);
  const { count, mb } = measure(dir);
  console.log(`  ${name}: npm install ${packageNames.join(' ')} -> ${count} packages, ${mb.toFixed(1)} MB`);
  return dir;
}

const installed = (dir, name) => existsSync(join(dir, 'node_modules', name, 'package.json'));

/** Runs `code` with node in `dir` (ESM unless `cjs`), returning its output; a non-zero exit fails. */
function node(dir, what, code, cjs = false) {
  const r = run(process.execPath, ['--input-type', cjs ? 'commonjs' : 'module', '-e', code], { cwd: dir });
  if (r.status !== 0) fail(`${what}\n${r.output}`);
  return r.output;
}

if (!skipInstall && failures.length === 0) {
  console.log('== installing the tarballs as a user would (npm, from the tarballs)');
  const server = installProject('server-only', [
    '@laas/server',
    '@laas/console',
    '@laas/core',
    '@laas/rules',
  ]);
  if (server !== undefined) {
    for (const name of ['better-sqlite3', 'pg', '@laas/adapters-sqlite', '@laas/adapters-pg']) {
      if (installed(server, name)) fail(`server-only: installing @laas/server installed ${name}`);
    }
    // Each adapter, missing, is named with the command that installs it; ESM and CommonJS alike.
    const expectations = [
      ['postgres://laas@127.0.0.1:1/laas', '@laas/adapters-pg'],
      ['./data/laas.sqlite', '@laas/adapters-sqlite'],
    ];
    for (const [url, adapter] of expectations) {
      const body = `.openStore(${JSON.stringify(url)}).then(
        () => { console.log('opened?'); process.exit(1); },
        (e) => { console.log(e.name + ': ' + e.message); process.exit(e.name === 'AdapterMissingError' ? 0 : 1); })`;
      for (const cjs of [false, true]) {
        const code = cjs ? `require('@laas/server')${body}` : `import('@laas/server').then((s) => s${body})`;
        const out = node(server, `server-only: openStore(${url}) (${cjs ? 'CommonJS' : 'ESM'})`, code, cjs);
        if (!out.includes(`npm install ${adapter}`)) {
          fail(`server-only: openStore(${url}) did not name ${adapter}: ${out.trim()}`);
        } else {
          console.log(`  ${cjs ? 'require' : 'import'}: ${out.trim()}`);
        }
      }
    }
  }

  if (server !== undefined) {
    // Then the PostgreSQL adapter, as the message says: the server finds it (the error is now the
    // unreachable database's, not a missing package), and pg comes with it, better-sqlite3 does not.
    const adapter = tarballOf.get('@laas/adapters-pg');
    const npm = run(
      'npm',
      ['install', '--no-audit', '--no-fund', '--ignore-scripts', '--loglevel=error', adapter],
      {
        cwd: server,
      },
    );
    if (npm.status !== 0) fail(`server-only: npm install @laas/adapters-pg failed\n${npm.output}`);
    const { count, mb } = measure(server);
    console.log(`  server-only + npm install @laas/adapters-pg -> ${count} packages, ${mb.toFixed(1)} MB`);
    if (!installed(server, 'pg')) fail('server + @laas/adapters-pg: pg was not installed with the adapter');
    if (installed(server, 'better-sqlite3')) fail('server + @laas/adapters-pg: better-sqlite3 was installed');
    const out = node(
      server,
      'server + @laas/adapters-pg: openStore on an unreachable PostgreSQL',
      `import('@laas/server').then((s) => s.openStore('postgres://laas@127.0.0.1:1/laas')).then(
        () => process.exit(1),
        (e) => { console.log(e.name + ': ' + e.message); process.exit(e.name === 'AdapterMissingError' ? 1 : 0); })`,
    );
    console.log(`  with the adapter: ${out.trim().split('\n')[0]}`);
  }

  const cli = installProject('cli', [
    '@laas/cli',
    '@laas/server',
    '@laas/console',
    '@laas/core',
    '@laas/rules',
    '@laas/adapters-sqlite',
  ]);
  if (cli !== undefined) {
    if (installed(cli, 'pg') || installed(cli, '@laas/adapters-pg')) {
      fail('cli: installing @laas/cli installed pg or @laas/adapters-pg');
    }
    if (!installed(cli, 'better-sqlite3')) fail('cli: installing @laas/cli did not install better-sqlite3');
    const version = run(join(cli, 'node_modules/.bin/laas'), ['--version'], { cwd: cli });
    if (version.status !== 0) fail(`cli: laas --version failed\n${version.output}`);
    const migrate = run(
      join(cli, 'node_modules/.bin/laas'),
      ['migrate', '--db', 'postgres://laas@127.0.0.1:1/laas'],
      {
        cwd: cli,
      },
    );
    console.log(`  laas migrate --db postgres://...: exit ${migrate.status}: ${migrate.output.trim()}`);
    if (migrate.status !== 1 || !migrate.output.includes('npm install @laas/adapters-pg')) {
      fail('cli: laas migrate on PostgreSQL without @laas/adapters-pg did not name the package');
    }
    const serve = run(join(cli, 'node_modules/.bin/laas'), ['serve', '--port', '0'], {
      cwd: cli,
      env: {
        ...process.env,
        LAAS_DATABASE_URL: 'postgres://laas@127.0.0.1:1/laas',
        LAAS_ADMIN_TOKEN: 'x'.repeat(32),
      },
      timeout: 60_000,
    });
    console.log(`  laas serve on postgres://...: exit ${serve.status}: ${serve.output.trim()}`);
    if (
      serve.status !== 1 ||
      serve.output.trim().split('\n').length !== 1 ||
      !serve.output.includes('npm install @laas/adapters-pg')
    ) {
      fail(
        'cli: laas serve on PostgreSQL without @laas/adapters-pg did not stop with one line naming the package',
      );
    }
  }
}

if (keep) console.log(`kept ${work}`);
else rmSync(work, { recursive: true, force: true });
if (failures.length > 0) {
  console.error(`check-packages: ${failures.length} failure(s)`);
  process.exit(1);
}
console.log(`check-packages: ${packages.length} packages packed and checked, no problems`);
