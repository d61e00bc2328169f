/**
 * The shared USSD code, black-box over HTTP on SQLite and PostgreSQL: a first menu of the phone's
 * merchants (paginated), then the merchant's own menu scoped to it; joining by typing a code; a
 * merchant that has not opted in refused like an unknown code; a wrong secret 404.
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { STORE_KINDS, useServer } from './harness.js';
import { expectUssdAnswer } from './ussd-helpers.js';

const digits = (n: number) => Array.from({ length: n }, () => Math.floor(Math.random() * 10)).join('');

describe.each(STORE_KINDS)('shared USSD code (%s)', (kind) => {
  const server = useServer(kind);
  const serviceCode = `*384*${digits(4)}#`;
  const secret = randomBytes(16).toString('hex');
  const tenants: Array<{ id: string; key: string; code: string; name: string }> = [];

  async function dial(phone: string, text: string, session = randomBytes(6).toString('hex'), path = secret) {
    const res = await fetch(`${server.url}/public/ussd/shared/${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        sessionId: session,
        serviceCode,
        phoneNumber: phone,
        networkCode: '63902',
        text,
      }),
    });
    const body = await res.text();
    if (res.status === 200) expectUssdAnswer(res.status, res.headers.get('content-type'), body);
    return { status: res.status, text: body };
  }

  async function enroll(t: { id: string; key: string }, phone: string, points = 0) {
    const r = await server.request('POST', `/v1/tenants/${t.id}/customers`, {
      token: t.key,
      body: { phone },
    });
    expect(r.status, r.text).toBe(201);
    if (points > 0) {
      const reward = await server.request('POST', `/v1/tenants/${t.id}/rewards`, {
        token: t.key,
        body: { name: 'Points', type: 'points', value: 1 },
      });
      const rule = await server.request('POST', `/v1/tenants/${t.id}/rules`, {
        token: t.key,
        body: { name: 'p', event_types: ['purchase'], reward_id: reward.body.id, quantity: points },
      });
      expect(rule.status, rule.text).toBe(201);
      const e = await server.request('POST', `/v1/tenants/${t.id}/events`, {
        token: t.key,
        body: {
          idempotency_key: `e-${randomBytes(6).toString('hex')}`,
          type: 'purchase',
          customer: { phone },
        },
      });
      expect(e.status, e.text).toBeLessThan(300);
    }
  }

  it('the platform admin sets the shared code up; tenant keys are refused', async () => {
    const put = await server.request('PUT', '/v1/platform/channels/ussd', {
      body: { service_code: serviceCode, callback_secret: secret },
    });
    expect(put.status, put.text).toBe(200);
    expect(put.text).not.toContain(secret);
    const get = await server.request('GET', '/v1/platform/channels/ussd');
    expect(get.body).toMatchObject({ service_code: serviceCode });
    expect(get.text).not.toContain(secret);
    for (let i = 0; i < 7; i++) {
      const t = await server.tenant(`Shop ${String.fromCharCode(65 + i)}`);
      const code = `S${String.fromCharCode(65 + i)}${digits(5)}`;
      // The last one keeps out of the shared code.
      const r = await server.request('PUT', `/v1/tenants/${t.id}/shared-channels`, {
        token: t.key,
        body: { code, ussd: i < 6 },
      });
      expect(r.status, r.text).toBe(200);
      tenants.push({ ...t, code, name: `Shop ${String.fromCharCode(65 + i)}` });
    }
    const byTenant = await server.request('PUT', '/v1/platform/channels/ussd', {
      token: tenants[0]?.key ?? '',
      body: { service_code: serviceCode, callback_secret: secret },
    });
    expect(byTenant.status).toBe(403);
  });

  it('a wrong secret or service code is 404', async () => {
    expect((await dial('+263771000001', '', undefined, 'x'.repeat(32))).status).toBe(404);
  });

  it('lists the merchants the phone belongs to (paginated); each menu is scoped to the chosen one', async () => {
    const [a, b] = tenants as [(typeof tenants)[0], (typeof tenants)[0]];
    const phone = `+2637${digits(8)}`;
    await enroll(a, phone, 5);
    await enroll(b, phone, 0);
    const first = await dial(phone, '');
    expect(first.text).toBe(`CON Choose a shop:\n1 ${a.name}\n2 ${b.name}\n0 Enter a shop code`);
    expect((await dial(phone, '1*1')).text).toBe('END You have 5 points.');
    expect((await dial(phone, '2*1')).text).toBe('END You have 0 points.');
    expect((await dial(phone, '2')).text).toContain(b.name);

    // A phone of every opted-in merchant gets pages of five.
    const many = `+2637${digits(8)}`;
    for (const t of tenants) await enroll(t, many);
    const page1 = await dial(many, '');
    expect(page1.text).toContain('9 More');
    expect(page1.text).not.toContain(tenants[5]?.name);
    const page2 = await dial(many, '9');
    expect(page2.text).toBe(`CON Choose a shop:\n1 ${tenants[5]?.name}\n0 Enter a shop code`);
    expect((await dial(many, '9*1')).text).toContain(tenants[5]?.name);
    // The merchant that has not opted in is never listed, though the phone belongs to it.
    expect(page1.text + page2.text).not.toContain(tenants[6]?.name);
  });

  it('joins a merchant by typing its code; an unopted or unknown code is "unknown"', async () => {
    const [a] = tenants as [(typeof tenants)[0]];
    const phone = `+2637${digits(8)}`;
    expect((await dial(phone, '')).text).toBe('CON Choose a shop:\n0 Enter a shop code');
    expect((await dial(phone, '0')).text).toBe('CON Enter the shop code:');
    const session = randomBytes(6).toString('hex');
    expect((await dial(phone, `0*${a.code.toLowerCase()}`, session)).text).toContain(`Welcome to ${a.name}`);
    expect((await dial(phone, `0*${a.code.toLowerCase()}*1`, session)).text).toContain(`member of ${a.name}`);
    expect((await dial(phone, '')).text).toContain(`1 ${a.name}`);

    const unopted = await dial(phone, `0*${tenants[6]?.code}`);
    const unknown = await dial(phone, '0*NOSUCH');
    expect(unopted.text).toBe('END Unknown shop code.');
    expect(unknown.text).toBe(unopted.text);
  });
});
