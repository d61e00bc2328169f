/**
 * A fake of the WhatsApp Cloud API on 127.0.0.1 that records every request (and answers as
 * scripted), and the polling the WhatsApp tests await background sends with: shared by the
 * per-tenant and the shared-number tests.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Json } from './harness.js';

export interface Sent {
  path: string;
  token: string | null;
  body: Json;
}
export interface Scripted {
  status: number;
  body: Json;
}

export interface FakeCloudApi {
  readonly url: string;
  /** Every request, in order. */
  readonly sent: Sent[];
  /** The requests to one customer phone. */
  to(phone: string): Sent[];
  /** The next answers to requests for `phone` (then: success). */
  script(phone: string, answers: Scripted[]): void;
  close(): Promise<void>;
}

export async function startFakeCloudApi(): Promise<FakeCloudApi> {
  const sent: Sent[] = [];
  const scripts = new Map<string, Scripted[]>();
  let n = 0;
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let body: Json;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        body = null;
      }
      const auth = req.headers.authorization;
      sent.push({ path: req.url ?? '/', token: auth?.startsWith('Bearer ') ? auth.slice(7) : null, body });
      const answer = scripts.get(body?.to)?.shift() ?? {
        status: 200,
        body: {
          messaging_product: 'whatsapp',
          contacts: [{ input: body?.to, wa_id: body?.to }],
          messages: [{ id: `wamid.out.${++n}.${randomBytes(4).toString('hex')}` }],
        },
      };
      res.writeHead(answer.status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(answer.body));
    });
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    sent,
    to: (phone) => sent.filter((s) => s.body?.to === phone),
    script: (phone, answers) => scripts.set(phone, [...answers]),
    close: () => new Promise<void>((done) => server.close(() => done())),
  };
}

/** Polls until `check` returns a value (not undefined/false), at most `ms`. */
export async function eventually<T>(
  check: () => T | undefined | false | Promise<T | undefined | false>,
  ms = 10_000,
) {
  const until = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > until) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 20));
  }
}

export const digits = (n: number) => Array.from({ length: n }, () => Math.floor(Math.random() * 10)).join('');
export const newPhone = () => `2637${digits(8)}`;
