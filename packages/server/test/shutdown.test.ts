/**
 * Graceful shutdown of the real binary: `laas serve` in a child process (the BUILT cli: tsx is not
 * a dependency; vitest.build.ts builds it). SIGTERM while a request is in flight: the request completes, new connections are
 * refused, the process exits 0.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../../..');
const BIN = join(ROOT, 'packages/cli/dist/bin.js');
/** True once a new connection to the server is refused (asked at most 200 times, one at a time). */
async function refusedSoon(url: string): Promise<boolean> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const refused = await fetch(`${url}/health`).then(
      () => false,
      () => true,
    );
    if (refused) return true;
  }
  return false;
}

describe('graceful shutdown of `laas serve`', () => {
  let dir: string;
  let child: ChildProcess | undefined;
  let output = '';

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'laas-serve-'));
  });

  afterAll(() => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('finishes the request in flight, refuses new ones, closes the store and exits 0', async () => {
    const token = 'shutdown-test-token';
    child = spawn(
      process.execPath,
      [BIN, 'serve', '--db', join(dir, 'db', 'laas.sqlite'), '--port', '0', '--host', '127.0.0.1'],
      {
        env: { ...process.env, LAAS_ADMIN_TOKEN: token, LAAS_LOG_LEVEL: 'info' },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    child.stdout?.on('data', (d) => {
      output += String(d);
    });
    child.stderr?.on('data', (d) => {
      output += String(d);
    });
    const exited = new Promise<number | null>((done) => child?.once('exit', (code) => done(code)));
    const url = await new Promise<string>((done, fail) => {
      const timer = setInterval(() => {
        const m = /"url":"(http:\/\/[^"]+)"/.exec(output);
        if (m) {
          clearInterval(timer);
          done(m[1] as string);
        }
      }, 50);
      setTimeout(() => fail(new Error(`the server did not start: ${output}`)), 20_000);
    });
    const { hostname, port } = new URL(url);

    // A request in flight: headers sent, half the body still to come. `Expect: 100-continue` makes
    // the server say when it has the request (its "100 Continue"): SIGTERM comes after that.
    const body = JSON.stringify({ name: 'Late but complete' });
    const answer = new Promise<{ status: number; text: string }>((done, fail) => {
      const req = request(
        {
          host: hostname,
          port,
          method: 'POST',
          path: '/v1/tenants',
          headers: {
            authorization: `Bearer ${token}`,
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(body),
            expect: '100-continue',
          },
        },
        (res) => {
          let text = '';
          res.on('data', (d) => {
            text += String(d);
          });
          res.on('end', () => done({ status: res.statusCode ?? 0, text }));
        },
      );
      req.on('error', fail);
      req.once('continue', () => {
        req.write(body.slice(0, 10));
        child?.kill('SIGTERM');
        // While it drains, the listener closes: a new connection is refused while this request is
        // still waiting for the rest of its body. Then the body completes.
        refusedSoon(url).then((refused) => {
          expect(refused).toBe(true);
          req.end(body.slice(10));
        }, fail);
      });
      req.flushHeaders();
    });

    const { status, text } = await answer;
    expect(status).toBe(201);
    expect(JSON.parse(text).name).toBe('Late but complete');
    expect(await exited).toBe(0);
    expect(output).toContain('shutting down');
    expect(output).toContain('laas server stopped');
  }, 60_000);
});
