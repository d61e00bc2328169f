/**
 * The USSD callback is public, so it is authenticated by a per-tenant secret in its URL (and
 * optionally the gateway's addresses). Someone who knows a shop's service code and a customer's
 * phone must not read or redeem their rewards.
 */
import { describe, expect, it } from 'vitest';
import { errorOf, STORE_KINDS, type TestServer, useServer } from './harness.js';
import { callUssd, freshPhone, freshServiceCode } from './ussd-helpers.js';

async function victimShop(server: TestServer, settings: Record<string, unknown> = {}) {
  const { id, key } = await server.tenant('Victim shop');
  const serviceCode = freshServiceCode();
  const put = await server.request('PUT', `/v1/tenants/${id}/ussd`, {
    token: key,
    body: { service_code: serviceCode, allow_join: true, ...settings },
  });
  expect(put.status, put.text).toBe(200);
  const reward = await server.request('POST', `/v1/tenants/${id}/rewards`, {
    token: key,
    body: { name: 'Free loaf', type: 'voucher' },
  });
  await server.request('POST', `/v1/tenants/${id}/rewards/${reward.body.id}/codes`, {
    token: key,
    body: { codes: ['LOAF-SECRET'] },
  });
  await server.request('POST', `/v1/tenants/${id}/rules`, {
    token: key,
    body: { name: 'Loaf', event_types: ['purchase'], reward_id: reward.body.id },
  });
  const phone = freshPhone();
  const bought = await server.request('POST', `/v1/tenants/${id}/events`, {
    token: key,
    headers: { 'Idempotency-Key': `buy-${phone}` },
    body: { type: 'purchase', customer: { phone }, data: { amount: 500 } },
  });
  return {
    id,
    key,
    serviceCode,
    phone,
    secret: put.body.callback_secret as string,
    issuanceId: bought.body.issuance_ids[0],
  };
}

const form = (serviceCode: string, phone: string, text: string, sessionId = `s-${Math.random()}`) => ({
  sessionId,
  serviceCode,
  phoneNumber: phone,
  networkCode: '64804',
  text,
});

describe.each(STORE_KINDS)('USSD callback security (%s)', (kind) => {
  const server = useServer(kind);

  it('without the secret (or with another tenant’s) the attack of the issue gets 404 and changes nothing', async () => {
    const shop = await victimShop(server);
    const other = await victimShop(server);
    const sessionId = 'attack-session';
    for (const secret of [undefined, 'guessed', other.secret]) {
      for (const text of ['1', '2', '3*1*1']) {
        const r = await callUssd(
          server,
          form(shop.serviceCode, shop.phone, text, sessionId),
          '',
          secret ?? 'none',
        );
        expect(r.status, `${secret} ${text}`).toBe(404);
        expect(r.text).not.toContain('LOAF-SECRET');
      }
    }
    // The old URL without a secret serves nobody.
    const old = await fetch(`${server.url}/public/ussd/callback`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(form(shop.serviceCode, shop.phone, '1')).toString(),
    });
    expect(old.status).toBe(404);
    // Nothing was redeemed, and no log line carries the victim's phone (not even masked).
    const issuance = await server.request('GET', `/v1/tenants/${shop.id}/issuances/${shop.issuanceId}`, {
      token: shop.key,
    });
    expect(issuance.body.state).toBe('issued');
    const digits = shop.phone.slice(1);
    expect(JSON.stringify(server.logs)).not.toContain(digits);
    expect(JSON.stringify(server.logs)).not.toContain(`${digits.slice(0, 4)}*`);

    // With the tenant's own secret it works.
    const ok = await callUssd(server, form(shop.serviceCode, shop.phone, '1'), '', shop.secret);
    expect(ok.status).toBe(200);
    expect(ok.text).toMatch(/^END You have/);
  });

  it('rotating the secret stops the old URL at once and shows the new one once', async () => {
    const shop = await victimShop(server);
    const rotated = await server.request('POST', `/v1/tenants/${shop.id}/ussd/rotate-secret`, {
      token: shop.key,
    });
    expect(rotated.status).toBe(200);
    const fresh = rotated.body.callback_secret as string;
    expect(fresh).not.toBe(shop.secret);
    expect((await callUssd(server, form(shop.serviceCode, shop.phone, '1'), '', shop.secret)).status).toBe(
      404,
    );
    expect((await callUssd(server, form(shop.serviceCode, shop.phone, '1'), '', fresh)).status).toBe(200);
    const got = await server.request('GET', `/v1/tenants/${shop.id}/ussd`, { token: shop.key });
    expect(got.body).not.toHaveProperty('callback_secret');
    const viewer = await server.key(shop.id, 'viewer');
    const denied = await server.request('POST', `/v1/tenants/${shop.id}/ussd/rotate-secret`, {
      token: viewer,
    });
    expect(denied.status).toBe(403);
  });

  it('allowed_ips: the socket address counts; X-Forwarded-For only behind a trusted proxy', async () => {
    const shop = await victimShop(server, { allowed_ips: ['203.0.113.0/24'] });
    // The test calls from 127.0.0.1, outside the list; a forged header does not help.
    const outside = await callUssd(server, form(shop.serviceCode, shop.phone, '1'), '', shop.secret, {
      'x-forwarded-for': '203.0.113.7',
    });
    expect(outside.status).toBe(404);
    const widened = await server.request('PUT', `/v1/tenants/${shop.id}/ussd`, {
      token: shop.key,
      body: {
        service_code: shop.serviceCode,
        allow_join: true,
        allowed_ips: ['203.0.113.0/24', '127.0.0.1'],
      },
    });
    expect(widened.body.allowed_ips).toEqual(['203.0.113.0/24', '127.0.0.1/32']);
    expect((await callUssd(server, form(shop.serviceCode, shop.phone, '1'), '', shop.secret)).status).toBe(
      200,
    );
    const bad = await server.request('PUT', `/v1/tenants/${shop.id}/ussd`, {
      token: shop.key,
      body: { service_code: shop.serviceCode, allowed_ips: ['not-an-ip'] },
    });
    expect(bad.status).toBe(400);
    expect(errorOf(bad).details.issues[0].path).toBe('allowed_ips.0');
  });
});

// SQLite only: what this checks (the client's address behind a proxy, the public rate limit) is
// decided in the HTTP layer, the same on every store.
describe('USSD behind a trusted proxy, and the public routes’ rate limit', () => {
  const server = useServer('sqlite', {
    trustProxy: true,
    publicRateLimit: { capacity: 5, refillPerSecond: 0.5 },
  });

  it('trusts X-Forwarded-For for allowed_ips when told to, and limits each source address', async () => {
    const shop = await victimShop(server, { allowed_ips: ['203.0.113.0/24'] });
    const via = (ip: string) =>
      callUssd(server, form(shop.serviceCode, shop.phone, '1'), '', shop.secret, {
        'x-forwarded-for': `${ip}, 10.0.0.1`,
      });
    expect((await via('203.0.113.7')).status).toBe(200);
    expect((await via('198.51.100.1')).status).toBe(404);
    const answers = [];
    for (let i = 0; i < 6; i++) answers.push(await via('203.0.113.8'));
    const limited = answers.find((a) => a.status === 429);
    expect(limited).toBeDefined();
    expect(limited?.headers.get('retry-after')).toMatch(/^\d+$/);
    // Another address has its own bucket.
    expect((await via('203.0.113.9')).status).toBe(200);
    const wa = await fetch(`${server.url}/public/wa/webhook?hub.mode=subscribe`, {
      headers: { 'x-forwarded-for': '203.0.113.8' },
    });
    expect(wa.status).toBe(429);
  });
});
