/**
 * The WhatsApp channel, black-box, on SQLite and PostgreSQL: the real webhook route with signed
 * payloads shaped exactly as PROTOCOLS.md shows, against a fake Cloud API served here on
 * 127.0.0.1 that records every request. No test sleeps for a fixed time: replies sent in the
 * background are awaited by polling the fake (bounded), and the worker is ticked by hand.
 */
import { randomBytes } from 'node:crypto';
import { createWorker, type Worker } from '@laas/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWhatsAppChannel, signWhatsAppPayload } from '../src/index.js';
import { errorOf, type Json, STORE_KINDS, type TestServer, useServer } from './harness.js';
import { digits, eventually, newPhone, type Sent, startFakeCloudApi } from './whatsapp-fake.js';
import { notification } from './whatsapp-payloads.js';

const KEY = randomBytes(32).toString('hex');
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

const fake = await startFakeCloudApi();
afterAll(() => fake.close());

interface WaTenant {
  id: string;
  key: string;
  phone_number_id: string;
  app_secret: string;
  access_token: string;
  verify_token: string;
}

async function waTenant(server: TestServer, extra: Record<string, unknown> = {}): Promise<WaTenant> {
  const t = await server.request('POST', '/v1/tenants', {
    body: { name: 'Kofi Coffee', timezone: 'Africa/Harare' },
  });
  expect(t.status).toBe(201);
  const key = await server.key(t.body.id, 'admin');
  const settings = {
    phone_number_id: `10${digits(13)}`,
    display_phone_number: '+1 555 000 1111',
    access_token: `EAAG${randomBytes(24).toString('hex')}`,
    app_secret: randomBytes(16).toString('hex'),
    verify_token: `verify-${randomBytes(8).toString('hex')}`,
    enrollment_code: 'COFFEE',
    ...extra,
  };
  const put = await server.request('PUT', `/v1/tenants/${t.body.id}/whatsapp`, {
    token: key,
    body: settings,
  });
  expect(put.status, put.text).toBe(200);
  return { id: t.body.id, key, ...settings };
}

type Content =
  | { text: string }
  | { button: { id: string; title: string } }
  | { list: { id: string; title: string } }
  | { image: { id: string } };

/** A notification exactly as PROTOCOLS.md shows it. */
function messagePayload(
  t: WaTenant,
  from: string,
  content: Content,
  options: { id?: string; name?: string } = {},
) {
  const id = options.id ?? `wamid.HBgM${randomBytes(8).toString('hex')}`;
  const message: Json = { from, id, timestamp: String(Math.floor(Date.now() / 1000)) };
  if ('text' in content) Object.assign(message, { type: 'text', text: { body: content.text } });
  else if ('button' in content)
    Object.assign(message, {
      type: 'interactive',
      interactive: { type: 'button_reply', button_reply: content.button },
    });
  else if ('list' in content)
    Object.assign(message, {
      type: 'interactive',
      interactive: { type: 'list_reply', list_reply: content.list },
    });
  else Object.assign(message, { type: 'image', image: content.image });
  return notification(t.phone_number_id, {
    contacts: [{ profile: { name: options.name ?? 'Tariro' }, wa_id: from }],
    messages: [message],
  });
}

function statusPayload(t: WaTenant, statuses: Json[]) {
  return notification(t.phone_number_id, { statuses });
}

async function post(server: TestServer, raw: string, signature: string | null) {
  return server.request('POST', '/public/wa/webhook', {
    token: null,
    rawBody: raw,
    headers: {
      'content-type': 'application/json',
      ...(signature === null ? {} : { 'x-hub-signature-256': signature }),
    },
  });
}

async function deliver(server: TestServer, t: WaTenant, payload: unknown) {
  const raw = JSON.stringify(payload);
  const answer = await post(server, raw, signWhatsAppPayload(raw, t.app_secret));
  expect(answer.status, answer.text).toBe(200);
  return answer;
}

/** What a sent message says (text, interactive body or template name). */
function said(s: Sent): string {
  return s.body?.text?.body ?? s.body?.interactive?.body?.text ?? `template:${s.body?.template?.name}`;
}

/** Sends `content` from `phone` and returns the reply the fake Cloud API received. */
async function say(
  server: TestServer,
  t: WaTenant,
  phone: string,
  content: Content | string,
  options: { name?: string } = {},
): Promise<Sent> {
  const before = fake.to(phone).length;
  await deliver(
    server,
    t,
    messagePayload(t, phone, typeof content === 'string' ? { text: content } : content, options),
  );
  return eventually(() => fake.to(phone)[before]);
}

async function messages(server: TestServer, t: WaTenant, phone?: string): Promise<Json[]> {
  const q = phone === undefined ? '' : `&phone=%2B${phone}`;
  const r = await server.request('GET', `/v1/tenants/${t.id}/whatsapp/messages?limit=200${q}`, {
    token: t.key,
  });
  expect(r.status, r.text).toBe(200);
  return r.body.items;
}

/** Waits until no outbound message of the phone is queued (the background send recorded its outcome). */
async function settled(server: TestServer, t: WaTenant, phone: string): Promise<Json[]> {
  return eventually(async () => {
    const list = await messages(server, t, phone);
    return list.every((m) => m.status !== 'queued' || m.attempts > 0) ? list : undefined;
  });
}

function workerFor(server: TestServer, clock?: () => Date): { worker: Worker; errors: unknown[] } {
  const errors: unknown[] = [];
  const channel = createWhatsAppChannel({
    engine: server.running.engine,
    secretKey: KEY,
    client: { graphBase: fake.url, quickRetryDelaysMs: [5, 10] },
  });
  const worker = createWorker({
    engine: server.running.engine,
    channels: [channel.worker],
    scheduledEvents: false,
    ...(clock === undefined ? {} : { clock }),
    onError: (error) => errors.push(error),
  });
  return { worker, errors };
}

async function voucherRule(server: TestServer, t: WaTenant, name: string, codes: string[]) {
  const reward = await server.request('POST', `/v1/tenants/${t.id}/rewards`, {
    token: t.key,
    body: { name, type: 'voucher', validity: '30d' },
  });
  expect(reward.status, reward.text).toBe(201);
  const upload = await server.request('POST', `/v1/tenants/${t.id}/rewards/${reward.body.id}/codes`, {
    token: t.key,
    body: { codes },
  });
  expect(upload.status, upload.text).toBeLessThan(300);
  const rule = await server.request('POST', `/v1/tenants/${t.id}/rules`, {
    token: t.key,
    body: { name: `${name} on every purchase`, event_types: ['purchase'], reward_id: reward.body.id },
  });
  expect(rule.status, rule.text).toBe(201);
  return reward.body;
}

async function purchase(server: TestServer, t: WaTenant, phone: string) {
  const r = await server.request('POST', `/v1/tenants/${t.id}/events`, {
    token: t.key,
    headers: { 'idempotency-key': `pos-${randomBytes(6).toString('hex')}` },
    body: { type: 'purchase', customer: { phone: `+${phone}` }, data: { amount: 1500 } },
  });
  expect(r.status, r.text).toBeLessThan(300);
  return r.body;
}

function localDate(at: string): string {
  return new Intl.DateTimeFormat('en', {
    timeZone: 'Africa/Harare',
    day: 'numeric',
    month: 'short',
    year: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
  }).format(new Date(at));
}

// ---- the suites ---------------------------------------------------------------------------------

describe.each(STORE_KINDS)('WhatsApp channel (%s)', (kind) => {
  const server = useServer(kind, {
    secretKey: KEY,
    whatsapp: { graphBase: fake.url, quickRetryDelaysMs: [5, 10] },
  });

  describe('settings', () => {
    it('never answer the secrets and store them encrypted', async () => {
      const t = await waTenant(server);
      const got = await server.request('GET', `/v1/tenants/${t.id}/whatsapp`, { token: t.key });
      expect(got.status).toBe(200);
      expect(got.body).toMatchObject({
        phone_number_id: t.phone_number_id,
        display_phone_number: '15550001111',
        access_token_set: true,
        app_secret_set: true,
        enrollment_code: 'COFFEE',
        language: 'en',
        template_name: null,
      });
      expect(got.text).not.toContain(t.access_token);
      expect(got.text).not.toContain(t.app_secret);
      // The raw row, read through the store: opaque envelopes, no plaintext.
      const raw = await server.running.store.transaction(t.id, (tx) => tx.whatsapp.getSettings());
      expect(raw?.access_token_encrypted).toMatch(/^v1\./);
      expect(JSON.stringify(raw)).not.toContain(t.access_token);
      expect(JSON.stringify(raw)).not.toContain(t.app_secret);
      // A viewer reads them (no secrets either); a manager may not change them.
      const viewer = await server.key(t.id, 'viewer');
      expect((await server.request('GET', `/v1/tenants/${t.id}/whatsapp`, { token: viewer })).status).toBe(
        200,
      );
      const manager = await server.key(t.id, 'manager');
      const denied = await server.request('PUT', `/v1/tenants/${t.id}/whatsapp`, {
        token: manager,
        body: { ...t, enrollment_code: 'TEA' },
      });
      expect(denied.status).toBe(403);
      // A later PUT may leave the secrets out: the stored ones stay.
      const { access_token: _a, app_secret: _s, id: _i, key: _k, ...rest } = t;
      const again = await server.request('PUT', `/v1/tenants/${t.id}/whatsapp`, {
        token: t.key,
        body: { ...rest, display_phone_number: '15550001111', enrollment_code: 'TEA' },
      });
      expect(again.status, again.text).toBe(200);
      const after = await server.running.store.transaction(t.id, (tx) => tx.whatsapp.getSettings());
      expect(after?.access_token_encrypted).toBe(raw?.access_token_encrypted);
      expect(after?.enrollment_code).toBe('TEA');
    });

    it('refuse a phone_number_id or verify token another tenant uses, and bad input', async () => {
      const a = await waTenant(server);
      const b = await server.tenant('B');
      const body = {
        phone_number_id: a.phone_number_id,
        display_phone_number: '15550002222',
        access_token: `EAAG${randomBytes(24).toString('hex')}`,
        app_secret: 'another-app-secret',
        verify_token: `verify-${randomBytes(8).toString('hex')}`,
        enrollment_code: 'TEA',
      };
      const taken = await server.request('PUT', `/v1/tenants/${b.id}/whatsapp`, { token: b.key, body });
      expect(taken.status).toBe(409);
      expect(errorOf(taken).code).toBe('STATE_CONFLICT');
      const token = await server.request('PUT', `/v1/tenants/${b.id}/whatsapp`, {
        token: b.key,
        body: { ...body, phone_number_id: `10${digits(13)}`, verify_token: a.verify_token },
      });
      expect(token.status).toBe(409);
      const badKey = await server.request('PUT', `/v1/tenants/${b.id}/whatsapp`, {
        token: b.key,
        body: { ...body, phone_number_id: `10${digits(13)}`, strings: { not_a_key: 'x' } },
      });
      expect(badKey.status).toBe(400);
      expect(errorOf(badKey).details.issues[0].path).toBe('strings.not_a_key');
      const first = await server.request('PUT', `/v1/tenants/${b.id}/whatsapp`, {
        token: b.key,
        body: { ...body, phone_number_id: `10${digits(13)}`, access_token: undefined },
      });
      expect(first.status).toBe(400);
      expect(errorOf(first).details.issues[0].path).toBe('access_token');
      expect((await server.request('GET', `/v1/tenants/${b.id}/whatsapp`, { token: b.key })).status).toBe(
        404,
      );
    });

    it('can be deleted; then the number no longer verifies', async () => {
      const t = await waTenant(server);
      expect((await server.request('DELETE', `/v1/tenants/${t.id}/whatsapp`, { token: t.key })).status).toBe(
        204,
      );
      expect((await server.request('DELETE', `/v1/tenants/${t.id}/whatsapp`, { token: t.key })).status).toBe(
        404,
      );
      const raw = JSON.stringify(messagePayload(t, newPhone(), { text: 'HELP' }));
      expect((await post(server, raw, signWhatsAppPayload(raw, t.app_secret))).status).toBe(401);
    });
  });

  describe('webhook', () => {
    it('answers the verification handshake for a configured verify token only', async () => {
      const t = await waTenant(server);
      const ok = await server.request(
        'GET',
        `/public/wa/webhook?hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=${t.verify_token}`,
        { token: null },
      );
      expect(ok.status).toBe(200);
      expect(ok.text).toBe('1158201444');
      expect(ok.headers.get('content-type')).toMatch(/^text\/plain/);
      const wrong = await server.request(
        'GET',
        '/public/wa/webhook?hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=nope-nope-nope',
        { token: null },
      );
      expect(wrong.status).toBe(403);
      const mode = await server.request(
        'GET',
        `/public/wa/webhook?hub.mode=unsubscribe&hub.challenge=1&hub.verify_token=${t.verify_token}`,
        { token: null },
      );
      expect(mode.status).toBe(403);
    });

    it('refuses a missing or bad signature with 401 and processes nothing', async () => {
      const t = await waTenant(server);
      const phone = newPhone();
      const raw = JSON.stringify(messagePayload(t, phone, { text: `JOIN COFFEE` }));
      const none = await post(server, raw, null);
      expect(none.status).toBe(401);
      expect(errorOf(none).code).toBe('AUTHENTICATION_ERROR');
      expect((await post(server, raw, signWhatsAppPayload(raw, 'the-wrong-secret'))).status).toBe(401);
      // Signed, then changed by one byte on the way.
      const tampered = raw.replace('COFFEE', 'COFFEF');
      expect((await post(server, tampered, signWhatsAppPayload(raw, t.app_secret))).status).toBe(401);
      expect((await post(server, raw, 'sha256=zz')).status).toBe(401);
      expect(await messages(server, t)).toEqual([]);
      const customers = await server.request('GET', `/v1/tenants/${t.id}/customers`, { token: t.key });
      expect(customers.body.items).toEqual([]);
      expect(fake.to(phone)).toEqual([]);
    });

    it('processes a redelivered message once', async () => {
      const t = await waTenant(server);
      const phone = newPhone();
      const payload = messagePayload(t, phone, { text: 'JOIN COFFEE' }, { id: 'wamid.HBgMredelivered' });
      await deliver(server, t, payload);
      await eventually(() => fake.to(phone).length === 1);
      await deliver(server, t, payload);
      // The next message's reply is the second one: the redelivery was not answered.
      const help = await say(server, t, phone, 'HELP');
      expect(said(help)).toContain('BALANCE');
      expect(fake.to(phone)).toHaveLength(2);
      const inbound = (await messages(server, t, phone)).filter((m) => m.direction === 'in');
      expect(inbound.map((m) => m.wa_message_id).filter((id) => id === 'wamid.HBgMredelivered')).toHaveLength(
        1,
      );
      const customers = await server.request('GET', `/v1/tenants/${t.id}/customers`, { token: t.key });
      expect(customers.body.items).toHaveLength(1);
    });

    it('records delivery receipts, forward only', async () => {
      const t = await waTenant(server);
      const phone = newPhone();
      const sentToMeta = async () => {
        const text = (await server.request('GET', '/metrics', { token: null })).text;
        const line = text
          .split('\n')
          .find((l) => l.startsWith('laas_deliveries_total{channel="whatsapp",outcome="delivered"}'));
        return Number(line?.split(' ')[1] ?? 0);
      };
      const before = await sentToMeta();
      await say(server, t, phone, 'HELP');
      const [out] = (await settled(server, t, phone)).filter((m) => m.direction === 'out');
      expect(out.status).toBe('sent');
      expect(out.wa_message_id).toMatch(/^wamid\.out\./);
      const receipt = (status: string, extra: Json = {}) => ({
        id: out.wa_message_id,
        status,
        timestamp: String(Math.floor(Date.now() / 1000)),
        recipient_id: phone,
        ...extra,
      });
      await deliver(server, t, statusPayload(t, [receipt('delivered')]));
      expect((await messages(server, t, phone)).find((m) => m.id === out.id).status).toBe('delivered');
      await deliver(server, t, statusPayload(t, [receipt('read'), receipt('sent')]));
      expect((await messages(server, t, phone)).find((m) => m.id === out.id).status).toBe('read');
      await deliver(server, t, statusPayload(t, [receipt('delivered')]));
      expect((await messages(server, t, phone)).find((m) => m.id === out.id).status).toBe('read');
      // An unknown id is ignored, still 200.
      await deliver(server, t, statusPayload(t, [{ ...receipt('read'), id: 'wamid.unknown' }]));
      // /metrics: one send accepted by the Cloud API; the receipts are not more deliveries.
      expect((await sentToMeta()) - before).toBe(1);
    });

    it('routes two tenants’ numbers to their own tenants', async () => {
      const a = await waTenant(server, { enrollment_code: 'ALPHA' });
      const b = await waTenant(server, { enrollment_code: 'BRAVO' });
      const phone = newPhone();
      expect(said(await say(server, a, phone, 'JOIN ALPHA'))).toContain('Welcome');
      // B's number does not know A's code, nor the customer.
      expect(said(await say(server, b, phone, 'JOIN ALPHA'))).toContain('is not the code');
      expect(said(await say(server, b, phone, 'BALANCE'))).toContain('To join');
      const aCustomers = await server.request('GET', `/v1/tenants/${a.id}/customers`, { token: a.key });
      const bCustomers = await server.request('GET', `/v1/tenants/${b.id}/customers`, { token: b.key });
      expect(aCustomers.body.items.map((c: Json) => c.phone)).toEqual([`+${phone}`]);
      expect(bCustomers.body.items).toEqual([]);
      // Each reply went out from its own number with its own token.
      const sends = fake.to(phone);
      expect(sends[0]?.path).toBe(`/v21.0/${a.phone_number_id}/messages`);
      expect(sends[0]?.token).toBe(a.access_token);
      expect(sends[1]?.path).toBe(`/v21.0/${b.phone_number_id}/messages`);
      expect(sends[1]?.token).toBe(b.access_token);
      // A payload signed with A's secret but naming B's number is not trusted.
      const raw = JSON.stringify(messagePayload(b, newPhone(), { text: 'JOIN BRAVO' }));
      expect((await post(server, raw, signWhatsAppPayload(raw, a.app_secret))).status).toBe(401);
    });
  });

  describe('conversation', () => {
    it('JOIN, BALANCE, REWARDS, REDEEM with YES / NO, HELP and anything else', async () => {
      const t = await waTenant(server);
      const phone = newPhone();
      expect(said(await say(server, t, phone, 'BALANCE'))).toContain('send JOIN');
      expect(said(await say(server, t, phone, 'join tea'))).toBe(
        'Sorry, "TEA" is not the code of Kofi Coffee. Check the code at the counter and send JOIN followed by it.',
      );
      const joined = await say(server, t, phone, 'Join: coffee!', { name: 'Tariro' });
      expect(said(joined)).toContain('Welcome to Kofi Coffee rewards, Tariro!');
      expect(joined.body.type).toBe('interactive');
      expect(joined.body.interactive.action.buttons.map((b: Json) => b.reply.id)).toEqual([
        'laas_balance',
        'laas_rewards',
        'laas_help',
      ]);
      const customers = await server.request('GET', `/v1/tenants/${t.id}/customers`, { token: t.key });
      expect(customers.body.items).toMatchObject([{ phone: `+${phone}`, name: 'Tariro', status: 'active' }]);
      expect(said(await say(server, t, phone, 'JOIN COFFEE'))).toContain('already a member');
      expect(said(await say(server, t, phone, 'balance'))).toBe('You have 0 points at Kofi Coffee.');
      expect(
        said(await say(server, t, phone, { button: { id: 'laas_rewards', title: 'My rewards' } })),
      ).toContain('no rewards');

      const reward = await voucherRule(server, t, 'Free muffin', ['MUF-1', 'MUF-2']);
      const first = await purchase(server, t, phone);
      const second = await purchase(server, t, phone);
      const [i1, i2] = [first.issuances[0], second.issuances[0]];
      expect(i1.reward_id).toBe(reward.id);

      expect(said(await say(server, t, phone, 'BALANCE'))).toContain('2 reward(s) ready');
      const list = said(await say(server, t, phone, 'REWARDS'));
      expect(list).toContain(`1. Free muffin (code ${i1.code}), valid until ${localDate(i1.expires_at)}`);
      expect(list).toContain(`2. Free muffin (code ${i2.code})`);

      expect(said(await say(server, t, phone, 'REDEEM 7'))).toContain('no reward number 7');
      expect(said(await say(server, t, phone, 'REDEEM'))).toContain('Which reward');
      const ask = await say(server, t, phone, 'redeem 1');
      expect(ask.body.type).toBe('interactive');
      expect(said(ask)).toContain(`Use Free muffin (code ${i1.code}) now?`);
      expect(ask.body.interactive.action.buttons.map((b: Json) => b.reply)).toEqual([
        { id: 'laas_yes', title: 'Yes, use it' },
        { id: 'laas_no', title: 'No' },
      ]);
      expect(said(await say(server, t, phone, 'No'))).toContain('was not used');
      expect(said(await say(server, t, phone, 'YES'))).toContain('nothing to confirm');
      const issuance = async (id: string) =>
        (await server.request('GET', `/v1/tenants/${t.id}/issuances/${id}`, { token: t.key })).body;
      expect((await issuance(i1.id)).state).toBe('issued');

      await say(server, t, phone, 'REDEEM 2');
      const done = await say(server, t, phone, { button: { id: 'laas_yes', title: 'Yes, use it' } });
      expect(said(done)).toBe(
        `Done: Free muffin (code ${i2.code}) is used. Show this message at the counter.`,
      );
      expect((await issuance(i2.id)).state).toBe('redeemed');
      expect((await issuance(i1.id)).state).toBe('issued');
      // Another command cancels a pending question.
      await say(server, t, phone, 'REDEEM 1');
      await say(server, t, phone, 'BALANCE');
      expect(said(await say(server, t, phone, 'yes'))).toContain('nothing to confirm');
      expect((await issuance(i1.id)).state).toBe('issued');

      expect(said(await say(server, t, phone, 'HELP'))).toContain('REDEEM 1: use reward number 1');
      const unknown = said(await say(server, t, phone, 'what is the weather like?'));
      expect(unknown).toContain('did not understand');
      expect(unknown).toContain('BALANCE');
      // A list reply with an unknown id is "anything else" too.
      expect(said(await say(server, t, phone, { list: { id: 'row-9', title: 'x' } }))).toContain(
        'did not understand',
      );
      // An image is recorded, not answered.
      const before = fake.to(phone).length;
      await deliver(server, t, messagePayload(t, phone, { image: { id: 'media-1' } }));
      await say(server, t, phone, 'HELP');
      expect(fake.to(phone)).toHaveLength(before + 1);
      const rows = await messages(server, t, phone);
      expect(rows.some((m) => m.direction === 'in' && m.body?.type === 'image')).toBe(true);
    });

    it('uses the tenant’s strings', async () => {
      const t = await waTenant(server, { strings: { not_member: 'Mhoro! Tumira JOIN {shop}.' } });
      expect(said(await say(server, t, newPhone(), 'hi'))).toBe('Mhoro! Tumira JOIN Kofi Coffee.');
    });
  });

  describe('sending', () => {
    it('retries 130429 quickly, then leaves it queued for the worker, which sends it', async () => {
      const t = await waTenant(server);
      const phone = newPhone();
      const limited = { status: 400, body: { error: { message: 'Rate limit hit', code: 130429 } } };
      fake.script(phone, [limited, limited, limited, limited]);
      await deliver(server, t, messagePayload(t, phone, { text: 'HELP' }));
      const queued = await eventually(async () =>
        (await messages(server, t, phone)).find((m) => m.direction === 'out' && m.attempts === 3),
      );
      expect(queued.status).toBe('queued');
      expect(queued.error).toContain('130429');
      expect(Date.parse(queued.next_attempt_at)).toBeGreaterThan(Date.now());
      expect(fake.to(phone)).toHaveLength(3);
      // The worker, an hour later: one more 130429 (queued again), then the next pass sends it.
      let now = Date.now() + HOUR;
      const { worker, errors } = workerFor(server, () => new Date(now));
      await worker.tick();
      expect(errors).toEqual([]);
      const row = (await messages(server, t, phone)).find((m) => m.id === queued.id);
      expect(row.status).toBe('sent');
      expect(row.attempts).toBe(5);
      expect(fake.to(phone)).toHaveLength(5);
      expect(new Set(fake.to(phone).map((s) => JSON.stringify(s.body))).size).toBe(1);
      now += HOUR;
      await worker.tick();
      expect(fake.to(phone)).toHaveLength(5);
    });

    it('records any other Graph error as failed, with its message', async () => {
      const t = await waTenant(server);
      const phone = newPhone();
      fake.script(phone, [
        {
          status: 400,
          body: {
            error: {
              message: 'Message Undeliverable.',
              code: 131026,
              error_data: { details: 'not on WhatsApp' },
            },
          },
        },
      ]);
      await deliver(server, t, messagePayload(t, phone, { text: 'HELP' }));
      const failed = await eventually(async () =>
        (await messages(server, t, phone)).find((m) => m.direction === 'out' && m.status === 'failed'),
      );
      expect(failed.error).toBe('Message Undeliverable. (#131026): not on WhatsApp');
      expect(failed.attempts).toBe(1);
      expect(fake.to(phone)).toHaveLength(1);
    });

    it('notifies a reward: text inside 24 h, the template outside it, else a skipped row', async () => {
      const t = await waTenant(server, { template_name: 'reward_earned', template_language: 'en_US' });
      const phone = newPhone();
      await say(server, t, phone, 'JOIN COFFEE');
      await voucherRule(server, t, 'Free scone', ['SC-1', 'SC-2', 'SC-3']);
      const { worker } = workerFor(server);

      const first = (await purchase(server, t, phone)).issuances[0];
      await worker.tick();
      const text = fake.to(phone).at(-1) as Sent;
      expect(text.body.type).toBe('text');
      expect(said(text)).toBe(
        `You earned Free scone (code ${first.code}) at Kofi Coffee! Valid until ${localDate(first.expires_at)}. Send REWARDS to see your rewards.`,
      );
      expect(text.token).toBe(t.access_token);

      // The customer last wrote two days ago.
      await server.running.store.transaction(t.id, async (tx) => {
        const c = await tx.whatsapp.getConversation(phone);
        if (c === null) throw new Error('no conversation');
        await tx.whatsapp.putConversation({
          ...c,
          last_inbound_at: new Date(Date.now() - 2 * DAY).toISOString(),
        });
      });
      await purchase(server, t, phone);
      await worker.tick();
      const template = fake.to(phone).at(-1) as Sent;
      expect(template.body).toEqual({
        messaging_product: 'whatsapp',
        recipient_type: 'individual',
        to: phone,
        type: 'template',
        template: {
          name: 'reward_earned',
          language: { code: 'en_US' },
          components: [{ type: 'body', parameters: [{ type: 'text', text: 'Free scone' }] }],
        },
      });

      // Without a template: recorded as skipped, nothing sent.
      const { access_token: _a, app_secret: _s, id: _i, key: _k, ...rest } = t;
      const put = await server.request('PUT', `/v1/tenants/${t.id}/whatsapp`, {
        token: t.key,
        body: {
          ...rest,
          display_phone_number: '15550001111',
          enrollment_code: 'COFFEE',
          template_name: null,
        },
      });
      expect(put.status, put.text).toBe(200);
      const sentBefore = fake.to(phone).length;
      await purchase(server, t, phone);
      await worker.tick();
      expect(fake.to(phone)).toHaveLength(sentBefore);
      const rows = await messages(server, t, phone);
      const skipped = rows.filter((m) => m.status === 'skipped');
      expect(skipped).toHaveLength(1);
      expect(skipped[0]).toMatchObject({ direction: 'out', kind: 'notification' });
      expect(skipped[0].error).toContain('24-hour window');
      expect(rows.filter((m) => m.kind === 'template')).toMatchObject([{ status: 'sent' }]);
      expect(rows.filter((m) => m.kind === 'notification' && m.status === 'sent')).toHaveLength(1);
      // A customer who never wrote to the number is not messaged.
      const stranger = newPhone();
      await purchase(server, t, stranger);
      await worker.tick();
      expect(fake.to(stranger)).toEqual([]);
    });
  });

  describe('join link and QR code', () => {
    it('answers the wa.me link, a PNG and an SVG', async () => {
      const t = await waTenant(server, { enrollment_code: 'Coffee' });
      const pos = await server.key(t.id, 'pos');
      const link = await server.request('GET', `/v1/tenants/${t.id}/whatsapp/join`, { token: pos });
      expect(link.status).toBe(200);
      expect(link.body).toEqual({
        url: 'https://wa.me/15550001111?text=JOIN%20Coffee',
        text: 'JOIN Coffee',
        phone: '15550001111',
      });
      const png = await fetch(`${server.url}/v1/tenants/${t.id}/whatsapp/join.png?size=256`, {
        headers: { authorization: `Bearer ${pos}` },
      });
      expect(png.status).toBe(200);
      expect(png.headers.get('content-type')).toBe('image/png');
      const bytes = Buffer.from(await png.arrayBuffer());
      expect([...bytes.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
      expect(bytes.readUInt32BE(16)).toBe(256);
      const svg = await fetch(`${server.url}/v1/tenants/${t.id}/whatsapp/join.svg`, {
        headers: { authorization: `Bearer ${pos}` },
      });
      expect(svg.status).toBe(200);
      expect(svg.headers.get('content-type')).toMatch(/^image\/svg\+xml/);
      expectWellFormedSvg(await svg.text());
      const none = await server.tenant('No WhatsApp');
      const missing = await server.request('GET', `/v1/tenants/${none.id}/whatsapp/join.png`, {
        token: none.key,
      });
      expect(missing.status).toBe(404);
    });
  });

  describe('end to end', () => {
    it('a customer joins, earns, is notified, checks and redeems, all through WhatsApp', async () => {
      const t = await waTenant(server);
      const phone = newPhone();
      const link = await server.request('GET', `/v1/tenants/${t.id}/whatsapp/join`, { token: t.key });
      // The QR code's link types this message in.
      const joined = await say(server, t, phone, decodeURIComponent(link.body.url.split('?text=')[1]), {
        name: 'Rudo',
      });
      expect(said(joined)).toContain('Welcome to Kofi Coffee rewards, Rudo!');

      await voucherRule(server, t, 'Free coffee', ['FREE-001']);
      const earned = await purchase(server, t, phone);
      expect(earned.decisions[0].outcome).toBe('issued');
      const issuanceId = earned.issuance_ids[0];

      const { worker, errors } = workerFor(server);
      await worker.tick();
      expect(errors).toEqual([]);
      expect(said(fake.to(phone).at(-1) as Sent)).toContain(
        'You earned Free coffee (code FREE-001) at Kofi Coffee!',
      );

      const rewards = said(await say(server, t, phone, 'REWARDS'));
      expect(rewards).toContain('1. Free coffee (code FREE-001), valid until');
      expect(said(await say(server, t, phone, 'REDEEM 1'))).toContain('Use Free coffee (code FREE-001) now?');
      const done = await say(server, t, phone, { button: { id: 'laas_yes', title: 'Yes, use it' } });
      expect(said(done)).toContain('Done: Free coffee (code FREE-001) is used');

      const issuance = await server.request('GET', `/v1/tenants/${t.id}/issuances/${issuanceId}`, {
        token: t.key,
      });
      expect(issuance.body).toMatchObject({ state: 'redeemed', code: 'FREE-001' });
      expect(said(await say(server, t, phone, 'REWARDS'))).toContain('no rewards');
      // Everything that went out was sent.
      const out = (await settled(server, t, phone)).filter((m) => m.direction === 'out');
      expect(out.every((m) => m.status === 'sent')).toBe(true);
    });
  });
});

// On SQLite a server without the variable keeps a key file beside the database (see
// webhook-secrets.test.ts); on PostgreSQL the variable is required to save secrets.
describe.each(STORE_KINDS.filter((k) => k === 'postgres'))(
  'WhatsApp without LAAS_SECRET_KEY (%s)',
  (kind) => {
    const server = useServer(kind, { whatsapp: { graphBase: fake.url } }, [], { LAAS_SECRET_KEY: '' });
    let tenant: { id: string; key: string };
    beforeAll(async () => {
      tenant = await server.tenant();
    });

    it('refuses to save settings, naming LAAS_SECRET_KEY', async () => {
      const r = await server.request('PUT', `/v1/tenants/${tenant.id}/whatsapp`, {
        token: tenant.key,
        body: {
          phone_number_id: `10${digits(13)}`,
          display_phone_number: '15550001111',
          access_token: `EAAG${randomBytes(24).toString('hex')}`,
          app_secret: 'app-secret-value',
          verify_token: `verify-${randomBytes(8).toString('hex')}`,
          enrollment_code: 'COFFEE',
        },
      });
      expect(r.status).toBe(409);
      expect(errorOf(r)).toMatchObject({ code: 'STATE_CONFLICT', details: { missing: 'LAAS_SECRET_KEY' } });
      expect(errorOf(r).message).toContain('LAAS_SECRET_KEY');
      // Webhook signing secrets too: nothing is saved in clear.
      const hook = await server.request('POST', `/v1/tenants/${tenant.id}/webhooks`, {
        token: tenant.key,
        body: { url: 'https://93.184.216.34/hook', events: [] },
      });
      expect(hook.status).toBe(409);
      expect(errorOf(hook).details).toMatchObject({ missing: 'LAAS_SECRET_KEY' });
    });
  },
);

/** A small XML well-formedness check: one root `<svg>`, every tag closed in order. */
function expectWellFormedSvg(svg: string): void {
  const body = svg.replace(/<\?xml[^>]*\?>/, '').trim();
  expect(body.startsWith('<svg')).toBe(true);
  const stack: string[] = [];
  let roots = 0;
  for (const m of body.matchAll(/<(\/?)([A-Za-z][\w:-]*)((?:\s+[\w:-]+="[^"]*")*)\s*(\/?)>/g)) {
    const [, closing, name, , selfClosing] = m;
    if (closing) expect(stack.pop()).toBe(name);
    else if (!selfClosing) {
      if (stack.length === 0) roots++;
      stack.push(name as string);
    } else if (stack.length === 0) roots++;
  }
  expect(stack).toEqual([]);
  expect(roots).toBe(1);
  expect(body).toMatch(/<path[^>]+d="M/);
  // Nothing but tags and whitespace between them.
  expect(body.replace(/<[^>]+>/g, '').trim()).toBe('');
}
