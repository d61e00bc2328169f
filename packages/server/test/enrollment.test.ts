import { randomBytes } from 'node:crypto';
import { newId } from '@laas/core';
import { describe, expect, it } from 'vitest';
import { errorOf, STORE_KINDS, useServer } from './harness.js';

const SECRET_CONDITION = { '>=': [{ var: 'event.amount' }, 123456] };

describe.each(STORE_KINDS)('GET /public/tenants/:tid/enrollment (%s)', (kind) => {
  const server = useServer(kind);

  async function shop(enrollmentPage: boolean) {
    const t = await server.request('POST', '/v1/tenants', {
      body: { name: 'Kofi Coffee', timezone: 'Africa/Accra', settings: { enrollment_page: enrollmentPage } },
    });
    expect(t.status, t.text).toBe(201);
    const tid = t.body.id as string;
    const key = await server.key(tid, 'admin');
    const post = async (path: string, body: unknown) => {
      const answer = await server.request('POST', `/v1/tenants/${tid}${path}`, { token: key, body });
      expect(answer.status, answer.text).toBeLessThan(300);
      return answer.body;
    };
    return { tid, key, post };
  }

  const page = (tid: string) => server.request('GET', `/public/tenants/${tid}/enrollment`, { token: null });

  it('off, unknown and malformed: the same 404 body, no-store', async () => {
    const { tid, key } = await shop(false);
    const answers = [
      await page(tid),
      await page(newId()),
      await page('not-a-uuid'),
      await server.request('GET', `/public/tenants/${tid}/enrollment/qr.svg`, { token: null }),
    ];
    const bodies = answers.map((answer) => {
      expect(answer.status).toBe(404);
      expect(answer.headers.get('cache-control')).toBe('no-store');
      const { requestId: _, ...rest } = errorOf(answer);
      return rest;
    });
    expect(bodies[0]).toEqual({ code: 'NOT_FOUND', message: 'There is no enrollment page here' });
    for (const body of bodies) expect(body).toEqual(bodies[0]);
    const tenant = await server.request('GET', `/v1/tenants/${tid}`, { token: key });
    expect(tenant.body.settings.enrollment_page).toBe(false);
    // A tenant stored before the setting existed (settings without the field) has it off too.
    await server.running.store.transaction(tid, async (tx) => {
      const stored = await tx.tenants.get();
      if (stored === null) throw new Error('no tenant');
      const { enrollment_page: _, ...old } = stored.settings;
      await tx.tenants.update({ ...stored, settings: old as typeof stored.settings });
    });
    expect((await server.running.store.platform.getTenant(tid))?.settings).not.toHaveProperty(
      'enrollment_page',
    );
    const before = await page(tid);
    expect(before.status).toBe(404);
    const { requestId: _, ...beforeBody } = errorOf(before);
    expect(beforeBody).toEqual(bodies[0]);
    const read = await server.request('GET', `/v1/tenants/${tid}`, { token: key });
    expect(read.body.settings.enrollment_page).toBe(false);
    // Turning it on opens the page.
    const on = await server.request('PATCH', `/v1/tenants/${tid}`, {
      token: key,
      body: { settings: { enrollment_page: true } },
    });
    expect(on.status, on.text).toBe(200);
    expect((await page(tid)).status).toBe(200);
  });

  it('on: the name, no WhatsApp, and the rules that earn now, in plain words, with nothing internal', async () => {
    const { tid, post } = await shop(true);
    const coffee = await post('/rewards', { name: 'Free coffee', type: 'item', cost: 250 });
    const mug = await post('/rewards', { name: 'Mug', type: 'item' });
    const retired = await post('/rewards', { name: 'Retired reward', type: 'item', active: false });
    const budget = await post('/budgets', { name: 'Secret budget', limit: 98765 });
    const rule = await post('/rules', {
      name: 'Every 2nd visit',
      priority: 10,
      event_types: ['visit'],
      condition: SECRET_CONDITION,
      reward_id: coffee.id,
      budget_id: budget.id,
      caps: [{ scope: 'customer', max: 1, window: 'day' }],
      cooldown: '12h',
    });
    await post('/rules', {
      name: 'Big spenders',
      priority: 20,
      event_types: ['purchase', 'visit', 'customer.birthday'],
      reward_id: mug.id,
      quantity: 2,
      caps: [
        { scope: 'global', max: 100, window: 'lifetime' },
        { scope: 'customer', max: 3, window: { rolling: '7d' } },
      ],
    });
    await post('/rules', {
      name: 'Welcome',
      priority: 30,
      event_types: ['signup', 'customer.birthday'],
      reward_id: mug.id,
    });
    await post('/rules', { name: 'Switched off', event_types: ['visit'], reward_id: mug.id, active: false });
    await post('/rules', { name: 'Retired reward rule', event_types: ['visit'], reward_id: retired.id });
    await post('/rules', {
      name: 'Over',
      event_types: ['visit'],
      reward_id: mug.id,
      valid_until: '2020-01-01T00:00:00.000Z',
    });
    const campaign = await post('/campaigns', { name: 'Draft campaign' });
    await post('/rules', {
      name: 'In a draft campaign',
      event_types: ['visit'],
      reward_id: mug.id,
      campaign_id: campaign.id,
    });

    const answer = await page(tid);
    expect(answer.status, answer.text).toBe(200);
    expect(answer.headers.get('cache-control')).toBe('no-store');
    expect(answer.body).toEqual({
      name: 'Kofi Coffee',
      whatsapp: null,
      rules: [
        {
          name: 'Every 2nd visit',
          reward: 'Free coffee',
          summary: 'Earns Free coffee on a visit; at most 1 per customer per day; not again within 12 hours.',
        },
        {
          name: 'Big spenders',
          reward: 'Mug',
          summary:
            'Earns 2 × Mug on a purchase, a visit or your birthday; at most 100 in total; at most 3 per customer in any 7 days.',
        },
        { name: 'Welcome', reward: 'Mug', summary: 'Earns Mug when you sign up or on your birthday.' },
      ],
    });
    expect(Object.keys(answer.body).sort()).toEqual(['name', 'rules', 'whatsapp']);
    for (const listed of answer.body.rules)
      expect(Object.keys(listed).sort()).toEqual(['name', 'reward', 'summary']);
    for (const secret of [tid, rule.id, coffee.id, budget.id, campaign.id, '123456', '98765', 'condition']) {
      expect(answer.text).not.toContain(secret);
    }
  });

  it('on with WhatsApp: the join link and its QR code', async () => {
    const { tid, key } = await shop(true);
    const put = await server.request('PUT', `/v1/tenants/${tid}/whatsapp`, {
      token: key,
      body: {
        phone_number_id: `10${randomBytes(6).readUIntBE(0, 6)}`,
        display_phone_number: '+233 20 000 1111',
        access_token: `EAAG${randomBytes(24).toString('hex')}`,
        app_secret: randomBytes(16).toString('hex'),
        verify_token: `verify-${randomBytes(8).toString('hex')}`,
        enrollment_code: 'KOFI',
      },
    });
    expect(put.status, put.text).toBe(200);
    const answer = await page(tid);
    expect(answer.status, answer.text).toBe(200);
    expect(answer.body.whatsapp).toEqual({
      url: 'https://wa.me/233200001111?text=JOIN%20KOFI',
      text: 'JOIN KOFI',
      qr_svg: `/public/tenants/${tid}/enrollment/qr.svg`,
    });
    const qr = await server.request('GET', answer.body.whatsapp.qr_svg, { token: null });
    expect(qr.status).toBe(200);
    expect(qr.headers.get('content-type')).toMatch(/^image\/svg\+xml/);
    expect(qr.headers.get('cache-control')).toBe('no-store');
    expect(qr.text).toMatch(/<svg[\s>]/);
  });
});

describe('the enrollment page is rate-limited per address like every public route', () => {
  const server = useServer('sqlite', { publicRateLimit: { capacity: 2, refillPerSecond: 0.001 } });

  it('answers 429 with Retry-After once the address has used its tokens', async () => {
    const tid = newId();
    const statuses: number[] = [];
    let last: Response | undefined;
    for (let i = 0; i < 3; i++) {
      last = await fetch(`${server.url}/public/tenants/${tid}/enrollment`);
      statuses.push(last.status);
    }
    expect(statuses).toEqual([404, 404, 429]);
    expect(Number(last?.headers.get('retry-after'))).toBeGreaterThan(0);
  });
});
