/**
 * The shared WhatsApp number, black-box over HTTP on SQLite and PostgreSQL: two merchants on one
 * number, JOIN, SHOPS / SWITCH, BALANCE scoped to the chosen merchant, a bad signature refused
 * before anything, and the code of a merchant that has not opted in refused like an unknown one.
 * A fake Cloud API on 127.0.0.1 records what is sent.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { signWhatsAppPayload } from '../src/index.js';
import { errorOf, type Json, STORE_KINDS, useServer } from './harness.js';
import { digits, eventually, newPhone, type Sent, startFakeCloudApi } from './whatsapp-fake.js';
import { notification } from './whatsapp-payloads.js';

const fake = await startFakeCloudApi();
afterAll(() => fake.close());

const said = (s: Sent): string => s.body?.text?.body ?? s.body?.interactive?.body?.text ?? '';

describe.each(STORE_KINDS)('shared WhatsApp number (%s)', (kind) => {
  const server = useServer(kind, {
    secretKey: randomBytes(32).toString('hex'),
    whatsapp: { graphBase: fake.url, quickRetryDelaysMs: [5, 10] },
  });
  const shared = {
    phone_number_id: `20${digits(13)}`,
    display_phone_number: '+1 555 000 2222',
    access_token: `EAAG${randomBytes(24).toString('hex')}`,
    app_secret: randomBytes(16).toString('hex'),
    verify_token: `verify-${randomBytes(8).toString('hex')}`,
  };
  const codeA = `KOFI${digits(4)}`;
  const codeB = `AMA${digits(4)}`;
  const codeC = `ZED${digits(4)}`;
  let a: { id: string; key: string };
  let b: { id: string; key: string };
  let c: { id: string; key: string };

  async function deliver(from: string, text: string, secret = shared.app_secret) {
    const raw = JSON.stringify(
      notification(shared.phone_number_id, {
        contacts: [{ profile: { name: 'Tariro' }, wa_id: from }],
        messages: [
          {
            from,
            id: `wamid.HBgM${randomBytes(8).toString('hex')}`,
            timestamp: String(Math.floor(Date.now() / 1000)),
            type: 'text',
            text: { body: text },
          },
        ],
      }),
    );
    return server.request('POST', '/public/wa/webhook', {
      token: null,
      rawBody: raw,
      headers: {
        'content-type': 'application/json',
        'x-hub-signature-256': signWhatsAppPayload(raw, secret),
      },
    });
  }

  /** Sends `text` from `phone` and returns the reply the fake Cloud API received. */
  async function say(phone: string, text: string): Promise<string> {
    const before = fake.to(phone).length;
    const answer = await deliver(phone, text);
    expect(answer.status, answer.text).toBe(200);
    const reply = await eventually(() => fake.to(phone)[before]);
    expect(reply.token).toBe(shared.access_token);
    expect(reply.path).toContain(`/${shared.phone_number_id}/messages`);
    return said(reply);
  }

  async function optIn(t: { id: string; key: string }, code: string, whatsapp = true) {
    const r = await server.request('PUT', `/v1/tenants/${t.id}/shared-channels`, {
      token: t.key,
      body: { code: code.toLowerCase(), whatsapp, ussd: false },
    });
    expect(r.status, r.text).toBe(200);
    expect(r.body).toMatchObject({ tenant_id: t.id, code, whatsapp, ussd: false });
  }

  async function award(t: { id: string; key: string }, phone: string, points: number) {
    const reward = await server.request('POST', `/v1/tenants/${t.id}/rewards`, {
      token: t.key,
      body: { name: 'Points', type: 'points', value: 1 },
    });
    expect(reward.status, reward.text).toBe(201);
    const rule = await server.request('POST', `/v1/tenants/${t.id}/rules`, {
      token: t.key,
      body: { name: 'points', event_types: ['purchase'], reward_id: reward.body.id, quantity: points },
    });
    expect(rule.status, rule.text).toBe(201);
    const event = await server.request('POST', `/v1/tenants/${t.id}/events`, {
      token: t.key,
      body: {
        idempotency_key: `evt-${randomBytes(6).toString('hex')}`,
        type: 'purchase',
        customer: { phone: `+${phone}` },
        data: { amount: 100 },
      },
    });
    expect(event.status, event.text).toBeLessThan(300);
  }

  it('the platform admin sets the shared number up; secrets are never shown; tenant keys are refused', async () => {
    a = await server.tenant('Kofi Coffee');
    b = await server.tenant('Ama Bakery');
    c = await server.tenant('Zed Shoes');
    const put = await server.request('PUT', '/v1/platform/channels/whatsapp', { body: shared });
    expect(put.status, put.text).toBe(200);
    expect(put.body).toMatchObject({
      phone_number_id: shared.phone_number_id,
      access_token_set: true,
      app_secret_set: true,
    });
    expect(put.text).not.toContain(shared.access_token);
    expect(put.text).not.toContain(shared.app_secret);
    const get = await server.request('GET', '/v1/platform/channels/whatsapp');
    expect(get.status).toBe(200);
    expect(get.text).not.toContain(shared.app_secret);
    const byTenant = await server.request('GET', '/v1/platform/channels/whatsapp', { token: a.key });
    expect(byTenant.status).toBe(403);
    const handshake = await server.request(
      'GET',
      `/public/wa/webhook?hub.mode=subscribe&hub.challenge=12345&hub.verify_token=${shared.verify_token}`,
      { token: null },
    );
    expect(handshake.status).toBe(200);
    expect(handshake.text).toBe('12345');

    await optIn(a, codeA);
    await optIn(b, codeB);
    await optIn(c, codeC, false);
    // A code is unique across the platform.
    const taken = await server.request('PUT', `/v1/tenants/${c.id}/shared-channels`, {
      token: c.key,
      body: { code: codeA, whatsapp: true },
    });
    expect(taken.status).toBe(409);
    expect(errorOf(taken).code).toBe('STATE_CONFLICT');
  });

  it('a bad signature is 401 and nothing is processed', async () => {
    const phone = newPhone();
    const r = await deliver(phone, `JOIN ${codeA}`, 'not-the-secret');
    expect(r.status).toBe(401);
    const list = await server.request('GET', `/v1/tenants/${a.id}/customers?phone=%2B${phone}`, {
      token: a.key,
    });
    expect(list.status, list.text).toBe(200);
    expect(list.body.items).toEqual([]);
    expect(fake.to(phone)).toEqual([]);
  });

  it('JOIN enrolls at one merchant; a second JOIN at another; SWITCH picks; BALANCE is scoped to the chosen one', async () => {
    const phone = newPhone();
    expect(await say(phone, 'BALANCE')).toContain('JOIN');
    expect(await say(phone, `join ${codeA.toLowerCase()}`)).toContain('Welcome to Kofi Coffee');
    await award(a, phone, 7);
    expect(await say(phone, 'BALANCE')).toContain('7 points at Kofi Coffee');

    expect(await say(phone, `JOIN ${codeB}`)).toContain('Welcome to Ama Bakery');
    // B is selected now: B's balance, never A's.
    const atB = await say(phone, 'BALANCE');
    expect(atB).toContain('0 points at Ama Bakery');
    expect(atB).not.toContain('Kofi');

    const shops = await say(phone, 'SHOPS');
    expect(shops).toContain(`Kofi Coffee (${codeA})`);
    expect(shops).toContain(`Ama Bakery (${codeB}) *`);
    expect(await say(phone, 'SWITCH 2')).toContain('You are now at Kofi Coffee');
    expect(await say(phone, 'BALANCE')).toContain('7 points at Kofi Coffee');
    expect(await say(phone, `SWITCH ${codeB}`)).toContain('You are now at Ama Bakery');
    expect(await say(phone, 'HELP')).toContain('SWITCH');

    // Each merchant recorded its own part of the conversation, and only its own.
    const messagesOf = async (t: { id: string; key: string }) => {
      const r = await server.request(
        'GET',
        `/v1/tenants/${t.id}/whatsapp/messages?limit=200&phone=%2B${phone}`,
        {
          token: t.key,
        },
      );
      expect(r.status, r.text).toBe(200);
      return r.body.items as Json[];
    };
    const inA = await messagesOf(a);
    const inB = await messagesOf(b);
    expect(inA.some((m) => JSON.stringify(m.body).includes('Ama Bakery'))).toBe(false);
    expect(inB.some((m) => JSON.stringify(m.body).includes('7 points'))).toBe(false);
  });

  it('a phone cannot switch to a merchant it has not joined', async () => {
    const phone = newPhone();
    expect(await say(phone, `JOIN ${codeA}`)).toContain('Welcome');
    expect(await say(phone, `SWITCH ${codeB}`)).toContain('not a member');
    expect(await say(phone, 'BALANCE')).toContain('Kofi Coffee');
  });

  it('the code of a merchant that has not opted in is refused like a code nobody holds', async () => {
    const phone = newPhone();
    const unopted = await say(phone, `JOIN ${codeC}`);
    const unknown = await say(phone, 'JOIN NOSUCH1');
    expect(unopted).toBe(unknown.replace('NOSUCH1', codeC));
    const list = await server.request('GET', `/v1/tenants/${c.id}/customers?phone=%2B${phone}`, {
      token: c.key,
    });
    expect(list.body.items).toEqual([]);
  });
});
