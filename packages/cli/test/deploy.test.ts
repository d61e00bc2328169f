/**
 * The deployment files (deploy/, docs/deployment.md) state facts of the code; these tests fail
 * when the code changes and the files do not: every environment variable the code reads is in
 * deploy/laas.env.example, the example is a valid configuration, and the Dockerfile, the compose
 * file, the systemd units and the nginx example agree with the server's port, body limit, routes
 * and binary. (The units and the nginx file are also checked by their own tools: deploy/check.sh.)
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { DEFAULT_BODY_LIMIT_BYTES, parseEnv } from '@laas/server';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { ROOT } from './helpers.js';

const DEPLOY = join(ROOT, 'deploy');
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');

/** Read by the code but not the server's to configure, each with why. */
const NOT_IN_THE_ENV_FILE: Record<string, string> = {
  NO_COLOR: "the CLI's colour on a terminal (https://no-color.org), not a service setting",
  TERM: "the CLI's colour on a terminal, set by the terminal",
};

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))
    .map((f) => join(dir, f));
}

/** Every environment variable the published packages' sources read, with where. */
function variablesReadByTheCode(): Map<string, string> {
  const found = new Map<string, string>();
  const packages = readdirSync(join(ROOT, 'packages'));
  for (const pkg of packages) {
    const src = join(ROOT, 'packages', pkg, 'src');
    if (!existsSync(src)) continue;
    for (const file of sourceFiles(src)) {
      const text = readFileSync(file, 'utf8');
      const where = relative(ROOT, file);
      // process.env.X, process.env['X'], and any LAAS_* name (the env schema's keys, rawEnv.LAAS_...).
      for (const m of text.matchAll(
        /process\.env(?:\.([A-Z_][A-Z0-9_]*)|\[\s*['"]([A-Z_][A-Z0-9_]*)['"]\s*\])/g,
      ))
        found.set((m[1] ?? m[2]) as string, where);
      for (const m of text.matchAll(/\bLAAS_[A-Z0-9_]+\b/g)) found.set(m[0], where);
      // const { X, Y: y } = process.env
      for (const m of text.matchAll(/\{([^{}]*)\}\s*=\s*process\.env\b/g))
        for (const name of (m[1] as string).matchAll(/\b([A-Z_][A-Z0-9_]*)\b\s*(?=[:,=}]|$)/g))
          found.set(name[1] as string, where);
    }
  }
  // The environment schema's keys (PORT among them).
  const envTs = read('packages/server/src/env.ts');
  const schema = envTs.slice(envTs.indexOf('const envSchema = z.object({'));
  for (const m of schema.slice(0, schema.indexOf('\n});')).matchAll(/^ {2}([A-Z][A-Z0-9_]*):/gm))
    found.set(m[1] as string, 'packages/server/src/env.ts');
  return found;
}

/** `KEY=value` lines, and `# KEY=value` lines (documented, commented out). */
function envFile(text: string): { set: Record<string, string>; listed: Set<string> } {
  const set: Record<string, string> = {};
  const listed = new Set<string>();
  for (const line of text.split('\n')) {
    const active = /^([A-Z_][A-Z0-9_]*)=(.*)$/.exec(line);
    if (active) {
      set[active[1] as string] = active[2] as string;
      listed.add(active[1] as string);
    }
    const commented = /^#\s*([A-Z_][A-Z0-9_]*)=/.exec(line);
    if (commented) listed.add(commented[1] as string);
  }
  return { set, listed };
}

describe('deploy/laas.env.example', () => {
  const example = envFile(read('deploy/laas.env.example'));

  it('lists every environment variable the code reads', () => {
    const code = variablesReadByTheCode();
    // The scan finds what it must: a broken scan would make this test pass vacuously.
    expect([...code.keys()]).toEqual(
      expect.arrayContaining(['LAAS_DATABASE_URL', 'PORT', 'LAAS_SERVER', 'NO_COLOR']),
    );
    const missing = [...code]
      .filter(([name]) => !example.listed.has(name) && !(name in NOT_IN_THE_ENV_FILE))
      .map(([name, where]) => `${name} (read in ${where})`);
    expect(missing, 'add these to deploy/laas.env.example (and docs/deployment.md)').toEqual([]);
  });

  it('lists only variables the code reads', () => {
    const code = variablesReadByTheCode();
    expect([...example.listed].filter((name) => !code.has(name))).toEqual([]);
  });

  it('is a valid configuration as it stands (its set lines parse with the server’s own schema)', () => {
    expect(() => parseEnv(example.set)).not.toThrow();
    expect(parseEnv(example.set)).toMatchObject({
      PORT: 8787,
      LAAS_HOST: '127.0.0.1',
      LAAS_TRUST_PROXY: true,
    });
  });
});

describe('the deployment files agree with the code', () => {
  it('compose: the server gets valid, listed variables, and the port the image exposes', () => {
    const compose = parseYaml(read('deploy/docker/compose.yaml'));
    const env = compose.services.laas.environment as Record<string, string>;
    const listed = envFile(read('deploy/laas.env.example')).listed;
    for (const name of Object.keys(env)) expect(listed.has(name), name).toBe(true);
    // With compose's ${...} filled in as its .env would.
    const filled = Object.fromEntries(
      Object.entries(env).map(([k, v]) => [
        k,
        String(v).replace(/\$\{([A-Z_]+)[^}]*\}/g, (_, name: string) =>
          name === 'LAAS_SECRET_KEY' ? 'ab'.repeat(32) : 'secret',
        ),
      ]),
    );
    const parsed = parseEnv(filled);
    expect(parsed.LAAS_DATABASE_URL).toMatch(/^postgres:\/\/laas_app:/);
    expect(parsed.LAAS_MIGRATE_DATABASE_URL).toMatch(/^postgres:\/\/postgres:/);
    expect(compose.services.laas.ports).toEqual([`127.0.0.1:${parsed.PORT}:${parsed.PORT}`]);
    expect(compose.services.laas.build.dockerfile).toBe('deploy/docker/Dockerfile');
    expect(existsSync(join(DEPLOY, 'docker', 'initdb', '10-laas-app-role.sh'))).toBe(true);
  });

  it('Dockerfile: the pinned pnpm, the port, and the binary the build produces', () => {
    const dockerfile = read('deploy/docker/Dockerfile');
    const pnpm = (JSON.parse(read('package.json')).packageManager as string).split('@')[1];
    expect(dockerfile).toContain(`npm install -g pnpm@${pnpm}`);
    expect(dockerfile).toMatch(/^EXPOSE 8787$/m);
    expect(dockerfile).toMatch(/^\s+PORT=8787 /m);
    expect(dockerfile).toContain('ENTRYPOINT ["node", "/app/packages/cli/dist/bin.js"]');
    expect(JSON.parse(read('packages/cli/package.json')).bin.laas).toBe('./dist/bin.js');
    expect(dockerfile).toContain('NOT BUILT on the project');
    // What the image leaves out must not be needed by the build: .dockerignore keeps the sources.
    const ignored = read('.dockerignore');
    expect(ignored).not.toMatch(/^(packages|pnpm-lock\.yaml|package\.json)$/m);
  });

  it('systemd: both units run the @laas/cli binary with the environment file', () => {
    for (const [unit, command] of [
      ['laas.service', 'serve'],
      ['laas-worker.service', 'worker'],
    ] as const) {
      const text = read(`deploy/systemd/${unit}`);
      expect(text).toContain(
        `ExecStart=/usr/bin/node /opt/laas/node_modules/@laas/cli/dist/bin.js ${command}\n`,
      );
      expect(text).toContain('EnvironmentFile=/etc/laas/laas.env\n');
      expect(text).toContain('KillSignal=SIGTERM\n');
    }
  });

  it('nginx: the body limit is the server’s, and the public routes are the server’s', () => {
    const conf = read('deploy/nginx/laas.conf');
    expect(DEFAULT_BODY_LIMIT_BYTES).toBe(1024 * 1024);
    expect(conf).toMatch(/client_max_body_size 1m;/);
    expect(conf).toContain('server 127.0.0.1:8787;');
    expect(conf).toContain('proxy_set_header X-Forwarded-For $remote_addr;');
    expect(conf).not.toContain('$proxy_add_x_forwarded_for;');
    // The routes the server declares for the USSD gateway and Meta.
    expect(read('packages/server/src/routes/ussd.ts')).toContain("path: '/public/ussd/callback/:secret'");
    expect(read('packages/server/src/routes/whatsapp.ts')).toContain("path: '/public/wa/webhook'");
    expect(conf).toContain('location /public/ussd/callback/ {');
    expect(conf).toContain('location = /public/wa/webhook {');
    expect(read('packages/server/src/routes/enrollment.ts')).toContain(
      "const PATH = '/public/tenants/:tid/enrollment';",
    );
    expect(conf).toContain('location /public/tenants/ {');
  });
});
