import { spawn } from 'node:child_process';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
export const BIN = join(ROOT, 'packages/cli/dist/bin.js');

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

export interface Served {
  url: string;
  port: number;
  /** Everything the server printed on stdout so far. */
  output(): string;
  /** Waits until stdout contains `text`. */
  waitFor(text: string | RegExp, timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

/** Starts `laas serve` (the built binary) in a child process and waits until it listens. */
export function serve(
  args: string[],
  options: { env?: Record<string, string>; cwd?: string; timeoutMs?: number } = {},
): Promise<Served> {
  const child = spawn(process.execPath, [BIN, 'serve', ...args], {
    cwd: options.cwd ?? ROOT,
    env: { ...process.env, NO_COLOR: '', LAAS_LOG_LEVEL: 'info', LAAS_RATE_LIMIT: 'off', ...options.env },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => {
    stdout += d;
  });
  child.stderr.on('data', (d) => {
    stderr += d;
  });
  const exited = new Promise<number>((done) => child.on('close', (code) => done(code ?? -1)));
  const waitFor = (text: string | RegExp, timeoutMs = options.timeoutMs ?? 30_000) =>
    new Promise<void>((resolveWait, reject) => {
      const deadline = Date.now() + timeoutMs;
      const tick = () => {
        if (typeof text === 'string' ? stdout.includes(text) : text.test(stdout)) return resolveWait();
        if (child.exitCode !== null || Date.now() > deadline) {
          return reject(
            new Error(`laas serve did not print ${String(text)}\nstdout: ${stdout}\nstderr: ${stderr}`),
          );
        }
        setTimeout(tick, 50);
      };
      tick();
    });
  return waitFor(/"url":"(http:\/\/[^"]+)"/).then(() => {
    const url = (/"url":"(http:\/\/[^"]+)"/.exec(stdout) as RegExpExecArray)[1] as string;
    return {
      url,
      port: Number(new URL(url).port),
      output: () => stdout,
      waitFor,
      async stop() {
        if (child.exitCode === null) child.kill('SIGTERM');
        await exited;
      },
    };
  });
}

/** A TCP port nobody listens on right now. */
export async function freePort(): Promise<number> {
  const { createServer } = await import('node:net');
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolvePort(port));
    });
  });
}

/** JSON over HTTP with a bearer token; throws on a non-2xx answer. */
export async function api(
  url: string,
  token: string,
  method = 'GET',
  body?: unknown,
  headers: Record<string, string> = {},
  // biome-ignore lint/suspicious/noExplicitAny: the tests read answers of every shape
): Promise<{ status: number; body: any }> {
  const res = await fetch(url, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...headers,
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  const json = text === '' ? null : JSON.parse(text);
  if (!res.ok) throw new Error(`${method} ${url}: ${res.status} ${text}`);
  return { status: res.status, body: json };
}

/** A webhook delivery as the receiver got it. */
export interface Received {
  headers: IncomingHttpHeaders;
  body: { type: string; tenant_id: string; data: Record<string, unknown> };
}

/** A webhook receiver on 127.0.0.1 that answers 200 and records what it got. */
export async function receiver(): Promise<{ url: string; received: Received[]; close(): Promise<void> }> {
  const received: Received[] = [];
  const server: Server = createServer((req, res) => {
    let raw = '';
    req.on('data', (chunk) => {
      raw += chunk;
    });
    req.on('end', () => {
      received.push({ headers: req.headers, body: JSON.parse(raw) });
      res.writeHead(200).end('ok');
    });
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hooks`,
    received,
    close: () => new Promise((done) => server.close(() => done())),
  };
}
