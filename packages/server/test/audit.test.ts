/**
 * The audit trail over HTTP, on SQLite and PostgreSQL: every audited route family records exactly
 * one row (actor, route, before/after) in the transaction of its change, no secret reaches the
 * log, a refused change leaves no row, only admins read it, and the worker purges by retention.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createWorker } from '@laas/core';
import { sign } from 'hono/jwt';
import { describe, expect, it } from 'vitest';
import { type Answer, type Json, STORE_KINDS, useServer } from './harness.js';

const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

describe.each(STORE_KINDS)('audit trail (%s)', (kind) => {
  const server = useServer(kind);

  async function shop() {
    const { id: tid, key } = await server.tenant(`Audit shop ${randomBytes(3).toString('hex')}`);
    const call = (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) =>
      server.request(method, `/v1/tenants/${tid}${path}`, { token: key, body, headers });
    const keys = await call('GET', '/api-keys');
    const keyId = (keys.body.items as Array<{ id: string; role: string }>).find(
      (k) => k.role === 'admin',
    )?.id;
    return { tid, key, keyId: keyId as string, call };
  }

  async function allRows(call: (m: string, p: string) => Promise<Answer>, query = ''): Promise<Json[]> {
    const rows: Json[] = [];
    let cursor: string | null = null;
    do {
      const sep = query === '' ? '?' : `?${query}&`;
      const page: Answer = await call(
        'GET',
        `/audit${sep}limit=200${cursor === null ? '' : `&cursor=${cursor}`}`,
      );
      expect(page.status, page.text).toBe(200);
      rows.push(...page.body.items);
      cursor = page.body.next_cursor;
    } while (cursor !== null);
    return rows;
  }

  it('each audited route family records exactly one row with actor, route and before/after, and no secret anywhere', async () => {
    const { tid, keyId, call } = await shop();
    const secrets: string[] = [];
    let count = (await allRows(call)).length;

    /** Runs one change and returns the one row it added (the newest). */
    async function once(
      action: string,
      run: () => Promise<Answer>,
      status = 200,
    ): Promise<{ row: Json; answer: Answer }> {
      const answer = await run();
      expect(answer.status, `${action}: ${answer.text}`).toBe(status);
      const rows = await allRows(call);
      expect(rows.length, action).toBe(count + 1);
      count = rows.length;
      const row = rows[0];
      expect(row.action).toBe(action);
      expect(row.tenant_id).toBe(tid);
      expect(row.actor).toEqual({ kind: 'api_key', id: keyId, role: 'admin' });
      expect(row.route.path.startsWith('/v1/tenants/:tid')).toBe(true);
      expect(typeof row.request_id).toBe('string');
      return { row, answer };
    }

    // Configuration: rewards (and codes), budgets (and top-ups), campaigns, rules.
    const coffee = await once(
      'reward.create',
      () => call('POST', '/rewards', { name: 'Coffee', type: 'item', cost: 100, issue_mode: 'manual' }),
      201,
    );
    expect(coffee.row).toMatchObject({
      entity_type: 'reward',
      entity_id: coffee.answer.body.id,
      before: null,
    });
    expect(coffee.row.route).toEqual({ method: 'POST', path: '/v1/tenants/:tid/rewards' });
    expect(coffee.row.after).toMatchObject({ name: 'Coffee', cost: 100 });
    const renamed = await once('reward.update', () =>
      call('PATCH', `/rewards/${coffee.answer.body.id}`, { name: 'Espresso' }),
    );
    expect(renamed.row.before.name).toBe('Coffee');
    expect(renamed.row.after.name).toBe('Espresso');
    expect(renamed.row.route).toEqual({ method: 'PATCH', path: '/v1/tenants/:tid/rewards/:id' });
    const voucher = (
      await once('reward.create', () => call('POST', '/rewards', { name: 'Voucher', type: 'voucher' }), 201)
    ).answer.body;
    const codes = await once(
      'reward.upload_codes',
      () => call('POST', `/rewards/${voucher.id}/codes`, { codes: ['SECRET-CODE-1', 'SECRET-CODE-2'] }),
      201,
    );
    expect(codes.row).toMatchObject({
      entity_type: 'reward_codes',
      before: { available: 0, used: 0 },
      after: { available: 2, used: 0 },
    });
    secrets.push('SECRET-CODE-1', 'SECRET-CODE-2');
    const generated = await once(
      'reward.generate_codes',
      () => call('POST', `/rewards/${voucher.id}/codes/generate`, { count: 3, length: 8 }),
      201,
    );
    expect(generated.row).toMatchObject({
      entity_type: 'reward_codes',
      before: { available: 2, used: 0 },
      after: { available: 5, used: 0 },
    });
    secrets.push(...(generated.answer.body.codes as string[]));
    const budget = await once(
      'budget.create',
      () => call('POST', '/budgets', { name: 'Monthly', limit: 1000, period: 'month' }),
      201,
    );
    await once('budget.update', () =>
      call('PATCH', `/budgets/${budget.answer.body.id}`, { name: 'Monthly coffee' }),
    );
    const topUp = await once(
      'budget.top_up',
      () => call('POST', `/budgets/${budget.answer.body.id}/top-up`, { amount: 500 }),
      201,
    );
    expect(topUp.row.after.periods.map((p: Json) => p.limit)).toEqual([1500]);
    const campaign = await once('campaign.create', () => call('POST', '/campaigns', { name: 'Launch' }), 201);
    const activated = await once('campaign.activate', () =>
      call('POST', `/campaigns/${campaign.answer.body.id}/activate`),
    );
    expect([activated.row.before.status, activated.row.after.status]).toEqual(['draft', 'active']);
    await once('campaign.update', () =>
      call('PATCH', `/campaigns/${campaign.answer.body.id}`, { name: 'Launch week' }),
    );
    const rule = await once(
      'rule.create',
      () =>
        call('POST', '/rules', { name: 'Visit', event_types: ['visit'], reward_id: coffee.answer.body.id }),
      201,
    );
    const ruleUpdate = await once('rule.update', () =>
      call('PATCH', `/rules/${rule.answer.body.id}`, { priority: 5 }),
    );
    expect(ruleUpdate.row.entity_id).toBe(rule.answer.body.id);
    const scratch = await once(
      'rule.create',
      () => call('POST', '/rules', { name: 'Scratch', event_types: ['x'], reward_id: coffee.answer.body.id }),
      201,
    );
    const deleted = await once('rule.delete', () => call('DELETE', `/rules/${scratch.answer.body.id}`), 204);
    expect(deleted.row.before.name).toBe('Scratch');
    expect(deleted.row.after).toBeNull();

    // Webhooks, including a rotation: the secrets never reach the log.
    const hook = await once(
      'webhook.create',
      () => call('POST', '/webhooks', { url: 'http://127.0.0.1:9/hook', events: [] }),
      201,
    );
    secrets.push(hook.answer.body.secret);
    expect(hook.row.after.secret).toBe('[redacted]');
    await once('webhook.update', () => call('PATCH', `/webhooks/${hook.answer.body.id}`, { active: false }));
    const rotated = await once('webhook.rotate_secret', () =>
      call('POST', `/webhooks/${hook.answer.body.id}/rotate-secret`),
    );
    secrets.push(rotated.answer.body.secret);
    expect(rotated.row.after.previous_secret).toBe('[redacted]');
    await once('webhook.delete', () => call('DELETE', `/webhooks/${hook.answer.body.id}`), 204);

    // The tier programme and the shared-channel opt-in (tenant-wide entities).
    const tiers = await once('tier_programme.put', () =>
      call('PUT', '/tiers', {
        measure: 'spend',
        window: { rolling: '365d' },
        grace: '30d',
        levels: [{ name: 'Gold', threshold: 5000 }],
      }),
    );
    expect(tiers.row).toMatchObject({ entity_type: 'tier_programme', entity_id: tid, before: null });
    expect(tiers.row.after).toMatchObject({ measure: 'spend' });
    await once('tier_programme.delete', () => call('DELETE', '/tiers'), 204);
    const merchantCode = `AU${randomBytes(3).toString('hex').toUpperCase()}`;
    const optIn = await once('shared_merchant.put', () =>
      call('PUT', '/shared-channels', { code: merchantCode, whatsapp: true, ussd: false }),
    );
    expect(optIn.row).toMatchObject({ entity_type: 'shared_merchant', before: null });
    expect(optIn.row.after).toMatchObject({ code: merchantCode, whatsapp: true });

    // Tenant settings, WhatsApp and USSD settings.
    const settings = await once('tenant.update', () =>
      call('PATCH', '', { settings: { auto_enroll: false } }),
    );
    expect(settings.row).toMatchObject({ entity_type: 'tenant', entity_id: tid });
    expect([settings.row.before.settings.auto_enroll, settings.row.after.settings.auto_enroll]).toEqual([
      true,
      false,
    ]);
    const wa = {
      phone_number_id: `10${randomBytes(6).readUIntBE(0, 6)}`,
      display_phone_number: '+233 20 000 1111',
      access_token: `EAAG${randomBytes(24).toString('hex')}`,
      app_secret: randomBytes(16).toString('hex'),
      verify_token: `verify-${randomBytes(8).toString('hex')}`,
      enrollment_code: 'AUDIT',
    };
    secrets.push(wa.access_token, wa.app_secret, wa.verify_token);
    const waPut = await once('whatsapp_settings.put', () => call('PUT', '/whatsapp', wa));
    expect(waPut.row.after.verify_token).toBe('[redacted]');
    await once('whatsapp_settings.delete', () => call('DELETE', '/whatsapp'), 204);
    const code = `*${Date.now() % 100000}*${randomBytes(2).readUInt16BE(0)}#`;
    const ussd = await once('ussd_settings.put', () => call('PUT', '/ussd', { service_code: code }));
    secrets.push(ussd.answer.body.callback_secret, sha256(ussd.answer.body.callback_secret));
    const ussdRotated = await once('ussd_settings.rotate_secret', () => call('POST', '/ussd/rotate-secret'));
    secrets.push(ussdRotated.answer.body.callback_secret, sha256(ussdRotated.answer.body.callback_secret));
    expect(ussdRotated.row.before.callback_secret_hash).toBe('[redacted]');
    await once('ussd_settings.delete', () => call('DELETE', '/ussd'), 204);

    // API keys.
    const made = await once(
      'api_key.create',
      () => call('POST', '/api-keys', { name: 'till', role: 'pos' }),
      201,
    );
    secrets.push(made.answer.body.key, sha256(made.answer.body.key));
    expect(made.row).toMatchObject({ entity_type: 'api_key', entity_id: made.answer.body.api_key.id });
    expect(made.row.after.key_hash).toBe('[redacted]');
    await once('api_key.revoke', () => call('DELETE', `/api-keys/${made.answer.body.api_key.id}`), 204);

    // Customers: create, update, status, export (a read, audited), erase.
    const phone = `+2637${String(Date.now()).slice(-8)}`;
    secrets.push(phone);
    const customer = await once(
      'customer.create',
      () => call('POST', '/customers', { phone, name: 'Tendai Moyo' }),
      201,
    );
    secrets.push('Tendai Moyo');
    const cid = customer.answer.body.id;
    expect(customer.row.after.phone).toBe('[redacted]');
    await once('customer.update', () => call('PATCH', `/customers/${cid}`, { tags: ['vip'] }));
    const blocked = await once('customer.set_status', () =>
      call('POST', `/customers/${cid}/status`, { status: 'blocked' }),
    );
    expect([blocked.row.before.status, blocked.row.after.status]).toEqual(['active', 'blocked']);
    await once('customer.set_status', () => call('POST', `/customers/${cid}/status`, { status: 'active' }));
    const exported = await once('customer.export', () => call('GET', `/customers/${cid}/export`));
    expect(exported.row.route).toEqual({ method: 'GET', path: '/v1/tenants/:tid/customers/:id/export' });

    // Manual operations: issue a reservation, redeem it, cancel another, spend points.
    await call('PATCH', '', { settings: { auto_enroll: true } });
    count += 1;
    const visit = async (n: number) =>
      (
        await call(
          'POST',
          '/events',
          { type: 'visit', customer: { id: cid } },
          { 'Idempotency-Key': `audit-visit-${n}` },
        )
      ).body;
    const first = await visit(1);
    expect((await allRows(call)).length, 'an ingest is not audited').toBe(count);
    const reserved = first.issuances[0].id as string;
    const issued = await once('issuance.issue', () => call('POST', `/issuances/${reserved}/issue`));
    expect([issued.row.before.state, issued.row.after.state]).toEqual(['reserved', 'issued']);
    const redeemed = await once('issuance.redeem', () => call('POST', `/issuances/${reserved}/redeem`));
    expect(redeemed.row.after.state).toBe('redeemed');
    const second = (await visit(2)).issuances[0].id as string;
    const cancelled = await once('issuance.cancel', () =>
      call('POST', `/issuances/${second}/cancel`, { reason: 'mistake' }),
    );
    expect(cancelled.row.after.state).toBe('cancelled');
    const erased = await once('customer.erase', () => call('POST', `/customers/${cid}/erase`));
    expect(erased.row.after.status).toBe('erased');

    // The whole log, as JSON, holds none of the secrets or personal data.
    const log = JSON.stringify(await allRows(call));
    for (const secret of secrets)
      expect(log.includes(secret), `secret ${secret.slice(0, 6)}… in the log`).toBe(false);
  });

  it('points redeem, adjustments and redeem by code are recorded as manual operations', async () => {
    const { call, keyId } = await shop();
    const points = (await call('POST', '/rewards', { name: 'Points', type: 'points', value: 1 })).body;
    await call('POST', '/rules', {
      name: 'Earn',
      event_types: ['purchase'],
      reward_id: points.id,
      quantity: { var: 'event.amount' },
    });
    const mug = (await call('POST', '/rewards', { name: 'Mug', type: 'item', points_price: 100 })).body;
    const ingest = await call(
      'POST',
      '/events',
      { type: 'purchase', customer: { phone: '+263771110001' }, data: { amount: 150 } },
      { 'Idempotency-Key': 'p-1' },
    );
    const cid = ingest.body.customer_id as string;
    const spent = await call('POST', `/customers/${cid}/points/redeem`, { reward_id: mug.id });
    expect(spent.status, spent.text).toBe(201);
    const [row] = await allRows(call, 'action=points.redeem');
    expect(row).toMatchObject({
      action: 'points.redeem',
      entity_type: 'issuance',
      entity_id: spent.body.id,
      before: null,
      actor: { kind: 'api_key', id: keyId, role: 'admin' },
      route: { method: 'POST', path: '/v1/tenants/:tid/customers/:id/points/redeem' },
    });
    expect(row.after).toMatchObject({ id: spent.body.id, state: 'issued' });

    // 150 earned, 100 spent: an adjustment of -20 takes the balance from 50 to 30.
    const adjusted = await call('POST', `/customers/${cid}/points/adjustments`, {
      amount: -20,
      reason: 'Goodwill correction',
    });
    expect(adjusted.status, adjusted.text).toBe(201);
    const [adjustment] = await allRows(call, 'action=points.adjust');
    expect(adjustment).toMatchObject({
      entity_type: 'points_balance',
      entity_id: cid,
      before: { customer_id: cid, balance: 50 },
      after: { customer_id: cid, balance: 30 },
      actor: { kind: 'api_key', id: keyId, role: 'admin' },
      route: { method: 'POST', path: '/v1/tenants/:tid/customers/:id/points/adjustments' },
    });

    const voucher = (await call('POST', '/rewards', { name: 'Voucher', type: 'voucher' })).body;
    await call('POST', `/rewards/${voucher.id}/codes`, { codes: ['CODE-AAA'] });
    await call('POST', '/rules', { name: 'V', event_types: ['visit'], reward_id: voucher.id });
    const visit = await call(
      'POST',
      '/events',
      { type: 'visit', customer: { id: cid } },
      { 'Idempotency-Key': 'v-1' },
    );
    const issuance = visit.body.issuances[0];
    const redeemed = await call('POST', '/issuances/redeem', { code: issuance.code });
    expect(redeemed.status, redeemed.text).toBe(200);
    const [byCode] = await allRows(call, 'action=issuance.redeem');
    expect(byCode).toMatchObject({
      entity_id: issuance.id,
      before: { state: 'issued' },
      after: { state: 'redeemed' },
    });
    expect(byCode.route).toEqual({ method: 'POST', path: '/v1/tenants/:tid/issuances/redeem' });
  });

  it('a refused change (409, 422) leaves no row; an idempotent replay adds none', async () => {
    const { call } = await shop();
    const other = await shop();
    const code = `*${Date.now() % 100000}*9#`;
    expect((await other.call('PUT', '/ussd', { service_code: code })).status).toBe(200);
    const before = (await allRows(call)).length;
    // 409 raised by the store inside the audited transaction (PostgreSQL: after a savepoint).
    const taken = await call('PUT', '/ussd', { service_code: code });
    expect(taken.status, taken.text).toBe(409);
    // 409 on a transition.
    await call('POST', '/customers', { phone: '+263771110002' });
    const dup = await call('POST', '/customers', { phone: '+263771110002' });
    expect(dup.status, dup.text).toBe(409);
    // 422: a budget limit past the maximum.
    const budget = (await call('POST', '/budgets', { name: 'B', limit: 100, period: 'month' })).body;
    const huge = await call('PATCH', `/budgets/${budget.id}`, { limit: 10 ** 13 });
    expect([400, 422]).toContain(huge.status);
    // 404: nothing to change.
    expect((await call('PATCH', '/rules/0190a000-0000-7000-8000-00000000dead', { priority: 1 })).status).toBe(
      404,
    );
    // A malformed id: the same 400 as before the route was audited (the before-read finds nothing).
    for (const path of ['/rules/not-a-uuid', '/customers/not-a-uuid', '/budgets/not-a-uuid']) {
      const bad = await call('PATCH', path, { name: 'x' });
      expect([400, 404], `${path}: ${bad.text}`).toContain(bad.status);
    }
    const after = await allRows(call);
    expect(after.length).toBe(before + 2); // the customer and the budget
    expect(after.map((r) => r.action).slice(0, 2)).toEqual(['budget.create', 'customer.create']);

    const body = { name: 'Once', limit: 10, period: 'month' };
    const one = await call('POST', '/budgets', body, { 'Idempotency-Key': 'b-1' });
    const again = await call('POST', '/budgets', body, { 'Idempotency-Key': 'b-1' });
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.body.id).toBe(one.body.id);
    expect((await allRows(call, `entity_id=${one.body.id}`)).length).toBe(1);
  });

  it('GET /audit: admin only, filters, pagination, and unknown parameters refused', async () => {
    const { tid, call, keyId } = await shop();
    for (const n of [1, 2, 3]) await call('POST', '/campaigns', { name: `C${n}` });
    const rule = (await call('POST', '/rewards', { name: 'R', type: 'item' })).body;
    for (const role of ['manager', 'pos', 'viewer'] as const) {
      const token = await server.key(tid, role);
      const denied = await server.request('GET', `/v1/tenants/${tid}/audit`, { token });
      expect(denied.status, role).toBe(403);
    }
    const page1 = await call('GET', '/audit?action=campaign.create&limit=2');
    expect(page1.body.items).toHaveLength(2);
    const page2 = await call('GET', `/audit?action=campaign.create&limit=2&cursor=${page1.body.next_cursor}`);
    expect(page2.body.items).toHaveLength(1);
    expect(page2.body.next_cursor).toBeNull();
    expect([...page1.body.items, ...page2.body.items].map((r: Json) => r.after.name)).toEqual([
      'C3',
      'C2',
      'C1',
    ]);
    expect((await allRows(call, `entity_type=reward&entity_id=${rule.id}`)).map((r) => r.action)).toEqual([
      'reward.create',
    ]);
    expect((await allRows(call, `actor=${keyId}`)).length).toBe(4);
    const future = new Date(Date.now() + 3_600_000).toISOString();
    expect(await allRows(call, `from=${encodeURIComponent(future)}`)).toEqual([]);
    expect((await allRows(call, `to=${encodeURIComponent(future)}&action=reward.create`)).length).toBe(1);
    expect((await call('GET', '/audit?acter=x')).status).toBe(400);
    expect((await call('GET', '/audit?action=DROP TABLE')).status).toBe(400);
    const foreign = await shop();
    expect((await foreign.call('GET', '/audit?action=campaign.create')).body.items).toEqual([]);
  });

  it('retention: the worker purges rows older than audit_retention_days, per tenant', async () => {
    const short = await shop();
    const long = await shop();
    expect((await short.call('PATCH', '', { settings: { audit_retention_days: 1 } })).status).toBe(200);
    expect((await short.call('PATCH', '', { settings: { audit_retention_days: 0 } })).status).toBe(400);
    await long.call('POST', '/campaigns', { name: 'Kept' });
    const shortRows = (await allRows(short.call)).length;
    const longRows = (await allRows(long.call)).length;
    expect(shortRows).toBeGreaterThan(0);
    const engine = server.running.engine;
    const worker = createWorker({
      engine,
      clock: () => new Date(Date.now() + 2 * 86_400_000),
      scheduledEvents: false,
    });
    const result = await worker.tick();
    expect(result.audit_purged).toBeGreaterThanOrEqual(shortRows);
    expect(await allRows(short.call)).toEqual([]);
    expect((await allRows(long.call)).length).toBe(longRows);
  });
});

describe.each(STORE_KINDS)('audit trail actors (%s)', (kind) => {
  const SECRET = 'jwt-audit-secret-0123456789abcdef';
  const server = useServer(kind, { jwtSecret: SECRET });

  it('names a JWT by its subject and the platform token as platform', async () => {
    const { id: tid } = await server.tenant('Actors');
    const exp = Math.floor(Date.now() / 1000) + 600;
    const jwt = await sign({ tenant_id: tid, role: 'admin', sub: 'user-42', exp }, SECRET, 'HS256');
    const made = await server.request('POST', `/v1/tenants/${tid}/campaigns`, {
      token: jwt,
      body: { name: 'J' },
    });
    expect(made.status, made.text).toBe(201);
    const platform = await server.request('POST', `/v1/tenants/${tid}/campaigns`, {
      token: server.adminToken,
      body: { name: 'P' },
    });
    expect(platform.status, platform.text).toBe(201);
    const rows = await server.request('GET', `/v1/tenants/${tid}/audit?action=campaign.create`, {
      token: jwt,
    });
    expect(rows.body.items.map((r: Json) => [r.after.name, r.actor])).toEqual([
      ['P', { kind: 'platform', id: null, role: 'platform' }],
      ['J', { kind: 'jwt', id: 'user-42', role: 'admin' }],
    ]);
    const byActor = await server.request('GET', `/v1/tenants/${tid}/audit?actor=user-42`, { token: jwt });
    expect(byActor.body.items).toHaveLength(1);
  });
});
