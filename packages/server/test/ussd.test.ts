import { beforeAll, describe, expect, it } from 'vitest';
import { errorOf, STORE_KINDS, type TestServer, useServer } from './harness.js';
import {
  atSession,
  callUssd,
  freshPhone,
  freshServiceCode,
  postUssd,
  rememberUssdSecret,
} from './ussd-helpers.js';

interface Shop {
  id: string;
  key: string;
  serviceCode: string;
}

/** A tenant with USSD connected (and the settings given). */
async function shopWithUssd(
  server: TestServer,
  name: string,
  settings: Record<string, unknown> = {},
): Promise<Shop> {
  const { id, key } = await server.tenant(name);
  const serviceCode = freshServiceCode();
  const put = await server.request('PUT', `/v1/tenants/${id}/ussd`, {
    token: key,
    body: { service_code: serviceCode, allow_join: true, ...settings },
  });
  expect(put.status, put.text).toBe(200);
  rememberUssdSecret(serviceCode, put.body.callback_secret);
  return { id, key, serviceCode };
}

/** A reward and a rule that gives one of it to the customer of every `gift` event naming it. */
async function giftable(
  server: TestServer,
  shop: Shop,
  reward: Record<string, unknown>,
  codes: string[] = [],
): Promise<string> {
  const r = await server.request('POST', `/v1/tenants/${shop.id}/rewards`, { token: shop.key, body: reward });
  expect(r.status, r.text).toBe(201);
  if (codes.length > 0) {
    const up = await server.request('POST', `/v1/tenants/${shop.id}/rewards/${r.body.id}/codes`, {
      token: shop.key,
      body: { codes },
    });
    expect(up.status, up.text).toBeLessThan(300);
  }
  const rule = await server.request('POST', `/v1/tenants/${shop.id}/rules`, {
    token: shop.key,
    body: {
      name: `Gift ${reward.name}`,
      event_types: ['gift'],
      condition: { '==': [{ var: 'event.reward' }, r.body.id] },
      reward_id: r.body.id,
    },
  });
  expect(rule.status, rule.text).toBe(201);
  return r.body.id as string;
}

let events = 0;
/** Ingests a `gift` event for `phone`; returns the issuance ids. */
async function gift(server: TestServer, shop: Shop, phone: string, rewardId: string): Promise<string[]> {
  events += 1;
  const r = await server.request('POST', `/v1/tenants/${shop.id}/events`, {
    token: shop.key,
    body: {
      idempotency_key: `gift-${events}-${Math.random()}`,
      type: 'gift',
      customer: { phone },
      data: { reward: rewardId },
    },
  });
  expect(r.status, r.text).toBe(201);
  return r.body.issuance_ids as string[];
}

async function issuance(server: TestServer, shop: Shop, id: string) {
  const r = await server.request('GET', `/v1/tenants/${shop.id}/issuances/${id}`, { token: shop.key });
  expect(r.status).toBe(200);
  return r.body;
}

async function redeemedOutboxRows(server: TestServer, shop: Shop, issuanceId: string): Promise<number> {
  const page = await server.running.engine.outbox.list(shop.id, { limit: 200 });
  return page.items.filter((e) => e.type === 'reward.redeemed' && JSON.stringify(e.data).includes(issuanceId))
    .length;
}

describe.each(STORE_KINDS)('USSD channel (%s)', (kind) => {
  const server = useServer(kind);

  describe('settings', () => {
    it('PUT, GET and DELETE the settings; the service code is unique across tenants', async () => {
      const a = await server.tenant('Settings A');
      const b = await server.tenant('Settings B');
      const code = freshServiceCode();
      expect((await server.request('GET', `/v1/tenants/${a.id}/ussd`, { token: a.key })).status).toBe(404);
      const put = await server.request('PUT', `/v1/tenants/${a.id}/ussd`, {
        token: a.key,
        body: { service_code: code, strings: { 'menu.balance': 'Points' } },
      });
      expect(put.status, put.text).toBe(200);
      expect(put.body).toMatchObject({
        tenant_id: a.id,
        service_code: code,
        language: 'en',
        allow_join: false,
        strings: { 'menu.balance': 'Points' },
      });
      expect(put.body.callback_secret).toMatch(/^ussd_[A-Za-z0-9_-]{32}$/);
      expect(put.body.callback_path).toBe(`/public/ussd/callback/${put.body.callback_secret}`);
      expect(put.body).not.toHaveProperty('callback_secret_hash');
      const got = await server.request('GET', `/v1/tenants/${a.id}/ussd`, { token: a.key });
      const { callback_secret: _secret, callback_path: _path, ...stored } = put.body;
      expect(got.body).toEqual(stored);
      expect(got.body.callback_secret_set).toBe(true);

      const taken = await server.request('PUT', `/v1/tenants/${b.id}/ussd`, {
        token: b.key,
        body: { service_code: code },
      });
      expect(taken.status).toBe(409);
      expect(errorOf(taken)).toMatchObject({ code: 'STATE_CONFLICT', details: { field: 'service_code' } });
      expect((await server.request('GET', `/v1/tenants/${b.id}/ussd`, { token: b.key })).status).toBe(404);

      const again = await server.request('PUT', `/v1/tenants/${a.id}/ussd`, {
        token: a.key,
        body: { service_code: code, allow_join: true },
      });
      expect(again.body.created_at).toBe(put.body.created_at);
      // The secret stays (shown once): rotate to change it.
      expect(again.body).not.toHaveProperty('callback_secret');
      expect(again.body.allow_join).toBe(true);
      expect(again.body.strings).toEqual({});

      expect((await server.request('DELETE', `/v1/tenants/${a.id}/ussd`, { token: a.key })).status).toBe(204);
      expect((await server.request('DELETE', `/v1/tenants/${a.id}/ussd`, { token: a.key })).status).toBe(404);
      const freed = await server.request('PUT', `/v1/tenants/${b.id}/ussd`, {
        token: b.key,
        body: { service_code: code },
      });
      expect(freed.status).toBe(200);
    });

    it('refuses bad settings, writing nothing', async () => {
      const a = await server.tenant('Bad settings');
      for (const body of [
        { service_code: 'not a code' },
        { service_code: '*1#', strings: { 'no.such.key': 'x' } },
        { service_code: '*1#', language: 'english please' },
        { service_code: '*1#', surprise: true },
      ]) {
        const r = await server.request('PUT', `/v1/tenants/${a.id}/ussd`, { token: a.key, body });
        expect(r.status, JSON.stringify(body)).toBe(400);
        expect(errorOf(r).code).toBe('VALIDATION_ERROR');
      }
      expect((await server.request('GET', `/v1/tenants/${a.id}/ussd`, { token: a.key })).status).toBe(404);
    });
  });

  describe('callback errors', () => {
    it('an unknown service code, missing fields or an unknown gateway: 404, nothing said; a bad phone: an END sentence', async () => {
      const shop = await shopWithUssd(server, 'Callback errors');
      const unknown = await callUssd(server, {
        sessionId: 'ATUid_x1',
        serviceCode: '*999*999999#',
        phoneNumber: '+263771234567',
        networkCode: '64804',
        text: '',
      });
      expect(unknown.status).toBe(404);
      const missing = await callUssd(server, { serviceCode: shop.serviceCode, text: '' });
      expect(missing.status).toBe(404);
      const gateway = await callUssd(
        server,
        { sessionId: 's', serviceCode: shop.serviceCode, phoneNumber: '+263771234567' },
        '?gateway=nope',
      );
      expect(gateway.status).toBe(404);
      const national = await postUssd(server, {
        sessionId: 'ATUid_x2',
        serviceCode: shop.serviceCode,
        phoneNumber: '0771234567',
        text: '',
      });
      expect(national.text).toBe('END Invalid request.');
      const logged = server.logs.filter((l) => l.msg === 'ussd request refused');
      expect(logged.length).toBeGreaterThanOrEqual(1);
      // Phones are masked in the log.
      expect(JSON.stringify(logged)).not.toContain('0771234567');
    });
  });

  describe('menus', () => {
    let shop: Shop;
    let coffee: string;
    let muffin: string;
    let points: string;

    beforeAll(async () => {
      shop = await shopWithUssd(server, 'Kofi Coffee');
      coffee = await giftable(server, shop, { name: 'Free coffee', type: 'voucher', validity: '30d' }, [
        'CAF-0001',
        'CAF-0002',
        'CAF-0003',
        'CAF-0004',
      ]);
      muffin = await giftable(server, shop, { name: 'Muffin', type: 'item' });
      points = await giftable(server, shop, { name: 'Points', type: 'points', value: 25 });
    });

    it('a member: menu, balance, rewards with codes and expiry dates', async () => {
      const phone = freshPhone();
      const [c] = await gift(server, shop, phone, coffee);
      await gift(server, shop, phone, muffin);
      await gift(server, shop, phone, points);
      const s = atSession(server, shop.serviceCode, phone);
      expect(await s.send('')).toBe('CON Kofi Coffee\n1 Balance\n2 My rewards\n3 Redeem');
      expect(await atSession(server, shop.serviceCode, phone).send('1')).toBe('END You have 25 points.');
      const rewards = await atSession(server, shop.serviceCode, phone).send('2');
      const coffeeRow = await issuance(server, shop, c as string);
      expect(rewards).toBe(
        `END Your rewards:\nFree coffee ${coffeeRow.code} exp ${coffeeRow.expires_at.slice(0, 10)}\nMuffin`,
      );
      expect(await atSession(server, shop.serviceCode, phone).send('4')).toBe(
        'END Invalid choice. Please dial again.',
      );
    });

    it('redeem: choose, confirm, and the issuance is redeemed; "No" redeems nothing', async () => {
      const phone = freshPhone();
      const [m] = await gift(server, shop, phone, muffin);
      const [c] = await gift(server, shop, phone, coffee);
      const no = atSession(server, shop.serviceCode, phone);
      // Soonest expiry first: the coffee expires, the muffin does not.
      expect(await no.send('3')).toBe('CON Choose a reward:\n1 Free coffee\n2 Muffin');
      expect(await no.send('3*1')).toBe('CON Redeem Free coffee?\n1 Yes\n2 No');
      expect(await no.send('3*1*2')).toBe('END Cancelled. Nothing was redeemed.');
      expect((await issuance(server, shop, c as string)).state).toBe('issued');

      const yes = atSession(server, shop.serviceCode, phone);
      await yes.send('3');
      expect(await yes.send('3*9')).toBe('END Invalid choice. Please dial again.');
      await yes.send('3*1');
      const code = (await issuance(server, shop, c as string)).code;
      expect(await yes.send('3*1*1')).toBe(`END Redeemed: Free coffee.\nCode: ${code}`);
      expect((await issuance(server, shop, c as string)).state).toBe('redeemed');
      expect((await issuance(server, shop, m as string)).state).toBe('issued');
    });

    it('a repeated confirmation (same sessionId and text) answers the same and redeems once', async () => {
      const phone = freshPhone();
      const [c] = await gift(server, shop, phone, coffee);
      const s = atSession(server, shop.serviceCode, phone);
      await s.send('');
      await s.send('3');
      await s.send('3*1');
      const first = await s.send('3*1*1');
      expect(first).toMatch(/^END Redeemed: Free coffee\./);
      const repeats = await Promise.all([s.send('3*1*1'), s.send('3*1*1')]);
      expect(repeats).toEqual([first, first]);
      expect(await s.send('3*1*1')).toBe(first);
      expect((await issuance(server, shop, c as string)).state).toBe('redeemed');
      expect(await redeemedOutboxRows(server, shop, c as string)).toBe(1);
      // Another session redeeming it again is told it is gone.
      const late = atSession(server, shop.serviceCode, phone);
      expect(await late.send('3')).toBe('END You have no rewards to redeem.');
    });

    it('the list shown at 3 is the one 3*n names, whatever arrives or goes meanwhile', async () => {
      const phone = freshPhone();
      const [first] = await gift(server, shop, phone, muffin);
      const [second] = await gift(server, shop, phone, coffee);
      const s = atSession(server, shop.serviceCode, phone);
      expect(await s.send('3')).toBe('CON Choose a reward:\n1 Free coffee\n2 Muffin');
      // Meanwhile: the coffee is redeemed at the till, and a new muffin arrives. Listed afresh,
      // choice 2 would now be the new muffin; it still names the muffin shown.
      const till = await server.request('POST', `/v1/tenants/${shop.id}/issuances/${second}/redeem`, {
        token: shop.key,
      });
      expect(till.status, till.text).toBe(200);
      const [arrived] = await gift(server, shop, phone, muffin);
      expect(await s.send('3*2')).toBe('CON Redeem Muffin?\n1 Yes\n2 No');
      expect(await s.send('3*2*1')).toMatch(/^END Redeemed: Muffin\./);
      expect((await issuance(server, shop, first as string)).state).toBe('redeemed');
      expect((await issuance(server, shop, arrived as string)).state).toBe('issued');
      // The first one, redeemed since the list was shown: a clear END, not a 500.
      const other = atSession(server, shop.serviceCode, phone);
      expect(await other.send('3')).toBe('CON Choose a reward:\n1 Muffin');
      const stale = atSession(server, shop.serviceCode, phone);
      await stale.send('3');
      const list = await server.request('GET', `/v1/tenants/${shop.id}/issuances?state=issued&limit=200`, {
        token: shop.key,
      });
      const mine = list.body.items.find(
        (i: { reward_id: string; customer_id: string }) =>
          i.reward_id === muffin && i.customer_id === till.body.customer_id,
      );
      await server.request('POST', `/v1/tenants/${shop.id}/issuances/${mine.id}/redeem`, { token: shop.key });
      expect(await stale.send('3*1')).toBe('CON Redeem Muffin?\n1 Yes\n2 No');
      expect(await stale.send('3*1*1')).toBe('END This reward can no longer be redeemed.');
    });

    it('long lists fit one message: whole lines, then "..."', async () => {
      const phone = freshPhone();
      const long = await giftable(server, shop, {
        name: 'A very generous reward with a “rather” long name – éñ',
        type: 'item',
      });
      for (let i = 0; i < 8; i++) await gift(server, shop, phone, long);
      const rewards = await atSession(server, shop.serviceCode, phone).send('2');
      expect(rewards.endsWith('\n...')).toBe(true);
      expect(rewards).toContain('"rather" long name - éñ');
      const menu = await atSession(server, shop.serviceCode, phone).send('3');
      expect(menu.startsWith('CON Choose a reward:\n1 ')).toBe(true);
      expect(menu.split('\n').length).toBeLessThan(10);
    });
  });

  describe('joining', () => {
    it('a new phone joins from the menu, then uses it; the phone is stored in E.164', async () => {
      const shop = await shopWithUssd(server, 'Join shop');
      const phone = freshPhone();
      const s = atSession(server, shop.serviceCode, phone.slice(1));
      expect(await s.send('')).toBe('CON Welcome to Join shop\n1 Join');
      expect(await s.send('1')).toBe(
        'CON You are now a member of Join shop.\n1 Balance\n2 My rewards\n3 Redeem',
      );
      // A resent join gets the same answer and enrolls once.
      expect(await s.send('1')).toBe(
        'CON You are now a member of Join shop.\n1 Balance\n2 My rewards\n3 Redeem',
      );
      expect(await s.send('1*1')).toBe('END You have 0 points.');
      const customers = await server.request('GET', `/v1/tenants/${shop.id}/customers`, { token: shop.key });
      expect(customers.body.items.map((c: { phone: string }) => c.phone)).toEqual([phone]);
    });

    it('without allow_join a new phone is told it is not a member', async () => {
      const shop = await shopWithUssd(server, 'Closed shop', { allow_join: false });
      const s = atSession(server, shop.serviceCode, freshPhone());
      expect(await s.send('')).toBe('END This number is not a member of Closed shop. Ask in store to join.');
      const customers = await server.request('GET', `/v1/tenants/${shop.id}/customers`, { token: shop.key });
      expect(customers.body.items).toEqual([]);
    });
  });

  describe('tenants and gateways', () => {
    it('two tenants with different service codes each see their own customers', async () => {
      const a = await shopWithUssd(server, 'Shop A');
      const b = await shopWithUssd(server, 'Shop B', { strings: { 'menu.balance': 'Mapoinzi “ese”' } });
      const phone = freshPhone();
      const pa = await giftable(server, a, { name: 'Points', type: 'points', value: 7 });
      await gift(server, a, phone, pa);
      expect(await atSession(server, a.serviceCode, phone).send('1')).toBe('END You have 7 points.');
      // B does not know the phone (allow_join): its own welcome, its own texts.
      expect(await atSession(server, b.serviceCode, phone).send('')).toBe('CON Welcome to Shop B\n1 Join');
      const joined = atSession(server, b.serviceCode, phone);
      await joined.send('');
      expect(await joined.send('1')).toBe(
        'CON You are now a member of Shop B.\n1 Mapoinzi "ese"\n2 My rewards\n3 Redeem',
      );
      expect(await joined.send('1*1')).toBe('END You have 0 points.');
      expect(await atSession(server, a.serviceCode, phone).send('')).toBe(
        'CON Shop A\n1 Balance\n2 My rewards\n3 Redeem',
      );
    });

    it('the msisdn gateway: its own field names, a Freeflow header', async () => {
      const shop = await shopWithUssd(server, 'Msisdn shop');
      const phone = freshPhone();
      const fields = {
        session_id: `m-${Math.random()}`,
        service_code: shop.serviceCode,
        msisdn: phone.slice(1),
      };
      const first = await postUssd(server, { ...fields, ussd_string: '' }, '?gateway=msisdn');
      expect(first.text).toBe('CON Welcome to Msisdn shop\n1 Join');
      expect(first.headers.get('freeflow')).toBe('FC');
      await postUssd(server, { ...fields, ussd_string: '1' }, '?gateway=msisdn');
      const balance = await postUssd(server, { ...fields, ussd_string: '1*1' }, '?gateway=msisdn');
      expect(balance.text).toBe('END You have 0 points.');
      expect(balance.headers.get('freeflow')).toBe('FB');
      // The Africa's Talking field names mean nothing to it: not a request of this gateway.
      const wrong = await callUssd(
        server,
        { sessionId: 'x', serviceCode: shop.serviceCode, phoneNumber: phone, text: '' },
        '?gateway=msisdn',
      );
      expect(wrong.status).toBe(404);
    });
  });

  it('end to end: join by USSD, earn through the API, check and redeem by USSD', async () => {
    const shop = await shopWithUssd(server, 'Tariro Bakery', { allow_join: true });
    const phone = freshPhone();
    const join = atSession(server, shop.serviceCode, phone);
    expect(await join.send('')).toBe('CON Welcome to Tariro Bakery\n1 Join');
    expect(await join.send('1')).toMatch(/^CON You are now a member of Tariro Bakery\./);

    const bread = await server.request('POST', `/v1/tenants/${shop.id}/rewards`, {
      token: shop.key,
      body: { name: 'Free loaf', type: 'voucher', validity: '14d' },
    });
    await server.request('POST', `/v1/tenants/${shop.id}/rewards/${bread.body.id}/codes`, {
      token: shop.key,
      body: { codes: ['LOAF-7Q2X'] },
    });
    const rule = await server.request('POST', `/v1/tenants/${shop.id}/rules`, {
      token: shop.key,
      body: {
        name: 'Spend $10, get a loaf',
        event_types: ['purchase'],
        condition: { '>=': [{ var: 'event.amount' }, 1000] },
        reward_id: bread.body.id,
      },
    });
    expect(rule.status, rule.text).toBe(201);
    const pos = await server.key(shop.id, 'pos');
    const purchase = await server.request('POST', `/v1/tenants/${shop.id}/events`, {
      token: pos,
      headers: { 'Idempotency-Key': `till-1-${Date.now()}` },
      body: { type: 'purchase', customer: { phone }, data: { amount: 1250 } },
    });
    expect(purchase.status, purchase.text).toBe(201);
    expect(purchase.body.enrolled).toBe(false);
    const [issuanceId] = purchase.body.issuance_ids;

    const check = await atSession(server, shop.serviceCode, phone).send('2');
    expect(check).toMatch(/^END Your rewards:\nFree loaf LOAF-7Q2X exp \d{4}-\d{2}-\d{2}$/);

    const redeem = atSession(server, shop.serviceCode, phone);
    expect(await redeem.send('')).toBe('CON Tariro Bakery\n1 Balance\n2 My rewards\n3 Redeem');
    expect(await redeem.send('3')).toBe('CON Choose a reward:\n1 Free loaf');
    expect(await redeem.send('3*1')).toBe('CON Redeem Free loaf?\n1 Yes\n2 No');
    expect(await redeem.send('3*1*1')).toBe('END Redeemed: Free loaf.\nCode: LOAF-7Q2X');

    const after = await server.request('GET', `/v1/tenants/${shop.id}/issuances/${issuanceId}`, {
      token: pos,
    });
    expect(after.body).toMatchObject({ state: 'redeemed', code: 'LOAF-7Q2X' });
    expect(await atSession(server, shop.serviceCode, phone).send('2')).toBe('END You have no rewards yet.');
  });
});
