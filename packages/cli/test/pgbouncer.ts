/**
 * A throwaway PgBouncer in transaction mode, configured as packages/adapters-pg/docs/scale-out.md
 * says, in front of the test PostgreSQL. Started as a child process of the test (by its pid, never
 * by name), on a free port, with its config and log in a temporary directory.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The pgbouncer binary, or null with the reason it is absent (printed by the caller's skip). */
export function findPgBouncer(): { path: string } | { path: null; why: string } {
  for (const candidate of ['/usr/sbin/pgbouncer', '/usr/bin/pgbouncer', '/usr/local/bin/pgbouncer']) {
    if (existsSync(candidate)) return { path: candidate };
  }
  try {
    const found = execFileSync('sh', ['-c', 'command -v pgbouncer'], { encoding: 'utf8' }).trim();
    if (found !== '') return { path: found };
  } catch {
    // not on PATH
  }
  return {
    path: null,
    why: 'pgbouncer is not installed (apt-get install -y pgbouncer; .ci/run installs it)',
  };
}

export interface PgBouncer {
  readonly port: number;
  /** `url` with host and port replaced by the bouncer's. */
  via(url: string): string;
  stop(): Promise<void>;
}

async function listening(port: number): Promise<boolean> {
  return new Promise((done) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.end();
      done(true);
    });
    socket.once('error', () => done(false));
  });
}

/**
 * Starts pgbouncer on `port` in front of the PostgreSQL of `upstreamUrl`, transaction pooling,
 * trusting the `users` listed (the test server trusts local connections too).
 */
export async function startPgBouncer(options: {
  binary: string;
  port: number;
  upstreamUrl: string;
  users: string[];
  poolSize: number;
}): Promise<PgBouncer> {
  const upstream = new URL(options.upstreamUrl);
  const dir = mkdtempSync(join(tmpdir(), 'laas-pgbouncer-'));
  const ini = join(dir, 'pgbouncer.ini');
  const log = join(dir, 'pgbouncer.log');
  writeFileSync(
    join(dir, 'users.txt'),
    options.users
      .map((u) => `"${u}" ""`)
      .join('\n')
      .concat('\n'),
  );
  // The configuration of the scale-out guide, with the test's ports and paths.
  writeFileSync(
    ini,
    [
      '[databases]',
      `* = host=${upstream.hostname} port=${upstream.port || 5432} connect_query='SET lock_timeout = 3000; SET statement_timeout = 15000; SET idle_in_transaction_session_timeout = 60000'`,
      '[pgbouncer]',
      'listen_addr = 127.0.0.1',
      `listen_port = ${options.port}`,
      'unix_socket_dir =',
      'auth_type = trust',
      `auth_file = ${join(dir, 'users.txt')}`,
      'pool_mode = transaction',
      `default_pool_size = ${options.poolSize}`,
      'max_client_conn = 200',
      'ignore_startup_parameters = lock_timeout, statement_timeout, idle_in_transaction_session_timeout',
      `logfile = ${log}`,
      '',
    ].join('\n'),
  );
  // pgbouncer refuses to run as root: drop to the postgres user, which must read and write here.
  const asRoot = process.getuid?.() === 0;
  if (asRoot) {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
    for (const path of [dir, ini, join(dir, 'users.txt')]) chownSync(path, uid, gid);
    chmodSync(dir, 0o755);
  }
  const child: ChildProcess = spawn(options.binary, [...(asRoot ? ['-u', 'postgres'] : []), ini], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (d) => {
    output += d;
  });
  child.stderr?.on('data', (d) => {
    output += d;
  });
  const exited = new Promise<void>((done) => child.once('close', () => done()));
  for (let attempt = 0; !(await listening(options.port)); attempt++) {
    if (child.exitCode !== null || attempt > 100) {
      const logged = existsSync(log) ? readFileSync(log, 'utf8') : '';
      child.kill('SIGTERM');
      throw new Error(`pgbouncer did not start on ${options.port}:\n${output}\n${logged}`);
    }
    await new Promise((done) => setTimeout(done, 100));
  }
  return {
    port: options.port,
    via(url: string) {
      const u = new URL(url);
      u.hostname = '127.0.0.1';
      u.port = String(options.port);
      return u.toString();
    },
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
