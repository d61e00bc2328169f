/**
 * Voucher codes over HTTP on SQLite and PostgreSQL: generated into a pool (manager), validated
 * without redeeming (pos), each refusal reason, and tenant isolation; and the reminders the worker
 * writes (`points.expiring`, `reward.expiring`) once, seen in the outbox over HTTP.
 */
import { createWorker } from '@laas/core';
import { describe, expect, it } from 'vitest';
import { errorOf, STORE_KINDS, useServer } from './harness.js';

describe.each(STORE_KINDS)('voucher codes and reminders over HTTP (%s)', (kind) => {
  const server = useServer(kind);

  it('generates codes to a pattern; validates each state; changes nothing; another tenant sees not_found', async () => {
    const { id: tid, key: admin } = await server.tenant('Codes shop');
    const manager = await server.key(tid, 'manager');
    const pos = await server.key(tid, 'pos');
    const voucher = await server.request('POST', `/v1/tenants/${tid}/rewards`, {
      token: manager,
      body: { name: 'Free coffee', type: 'voucher', value: 5, validity: '30d' },
    });
    expect(voucher.status).toBe(201);
    const rid = voucher.body.id;
    const gen = await server.request('POST', `/v1/tenants/${tid}/rewards/${rid}/codes/generate`, {
      token: manager,
      body: { count: 20, length: 8, prefix: 'KOFI-' },
    });
    expect(gen.status).toBe(201);
    expect(gen.body.added).toBe(20);
    expect(new Set(gen.body.codes).size).toBe(20);
    for (const code of gen.body.codes) expect(code).toMatch(/^KOFI-[A-HJKMNP-Z2-9]{8}$/);
    const counts = await server.request('GET', `/v1/tenants/${tid}/rewards/${rid}/codes`, { token: pos });
    expect(counts.body).toEqual({ available: 20, used: 0 });

    const posGen = await server.request('POST', `/v1/tenants/${tid}/rewards/${rid}/codes/generate`, {
      token: pos,
      body: { count: 1, length: 8 },
    });
    expect(posGen.status).toBe(403);
    const bad = await server.request('POST', `/v1/tenants/${tid}/rewards/${rid}/codes/generate`, {
      token: manager,
      body: { count: 1, length: 4 },
    });
    expect(bad.status).toBe(400);
    expect(errorOf(bad).code).toBe('VALIDATION_ERROR');
    const points = await server.request('POST', `/v1/tenants/${tid}/rewards`, {
      token: manager,
      body: { name: 'Points', type: 'points', value: 1 },
    });
    const notVoucher = await server.request(
      'POST',
      `/v1/tenants/${tid}/rewards/${points.body.id}/codes/generate`,
      {
        token: manager,
        body: { count: 1, length: 8 },
      },
    );
    expect(errorOf(notVoucher).code).toBe('VALIDATION_ERROR');
    expect(errorOf(notVoucher).details.issues[0].path).toBe('reward_id');

    await server.request('POST', `/v1/tenants/${tid}/rules`, {
      token: manager,
      body: { name: 'coffee', event_types: ['visit'], reward_id: rid },
    });
    const visit = await server.request('POST', `/v1/tenants/${tid}/events`, {
      token: pos,
      headers: { 'Idempotency-Key': 'visit-1' },
      body: { type: 'visit', customer: { phone: '+263771110001' } },
    });
    expect(visit.status).toBe(201);
    const issued = visit.body.issuances[0];
    expect(gen.body.codes).toContain(issued.code);

    const validate = (code: string, token = pos) =>
      server.request('GET', `/v1/tenants/${tid}/codes/${encodeURIComponent(code)}`, { token });
    const ok = await validate(issued.code);
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({
      code: issued.code,
      redeemable: true,
      reason: null,
      issuance_id: issued.id,
      customer_id: issued.customer_id,
      reward: { id: rid, name: 'Free coffee', type: 'voucher', value: 5 },
      state: 'issued',
    });
    const spare = gen.body.codes.find((c: string) => c !== issued.code);
    expect((await validate(spare)).body).toMatchObject({
      redeemable: false,
      reason: 'not_issued_yet',
      issuance_id: null,
    });
    expect((await validate('NO-SUCH-CODE')).body).toMatchObject({ redeemable: false, reason: 'not_found' });
    // Validating changed nothing: the code still redeems, once.
    const redeem = await server.request('POST', `/v1/tenants/${tid}/issuances/redeem`, {
      token: pos,
      body: { code: issued.code },
    });
    expect(redeem.status).toBe(200);
    expect((await validate(issued.code)).body).toMatchObject({ redeemable: false, reason: 'redeemed' });

    const other = await server.tenant('Other shop');
    const foreign = await server.request('GET', `/v1/tenants/${other.id}/codes/${issued.code}`, {
      token: other.key,
    });
    expect(foreign.body).toMatchObject({ reason: 'not_found', issuance_id: null });
    const crossed = await server.request('GET', `/v1/tenants/${tid}/codes/${issued.code}`, {
      token: other.key,
    });
    expect(crossed.status).toBe(404);
    expect(admin).toBeTruthy();
  });

  it('reminders: reminder_days set over HTTP; the worker writes reward.expiring once', async () => {
    const { id: tid, key: admin } = await server.tenant('Reminder shop');
    const set = await server.request('PATCH', `/v1/tenants/${tid}`, {
      token: admin,
      body: { settings: { reminder_days: 40 } },
    });
    expect(set.status).toBe(200);
    expect(set.body.settings.reminder_days).toBe(40);
    const reward = await server.request('POST', `/v1/tenants/${tid}/rewards`, {
      token: admin,
      body: { name: 'Cake', type: 'voucher', value: 3, validity: '30d' },
    });
    await server.request('POST', `/v1/tenants/${tid}/rewards/${reward.body.id}/codes/generate`, {
      token: admin,
      body: { count: 3, length: 6, charset: 'digits' },
    });
    await server.request('POST', `/v1/tenants/${tid}/rules`, {
      token: admin,
      body: { name: 'cake', event_types: ['visit'], reward_id: reward.body.id },
    });
    await server.request('POST', `/v1/tenants/${tid}/events`, {
      token: admin,
      headers: { 'Idempotency-Key': 'visit-r' },
      body: { type: 'visit', customer: { phone: '+263771110002' } },
    });
    const { engine } = server.running;
    const worker = createWorker({ engine, scheduledEvents: false });
    await Promise.all([worker.tick(), createWorker({ engine, scheduledEvents: false }).tick()]);
    await worker.tick();
    const outbox = await engine.outbox.list(tid, { limit: 100 });
    const reminders = outbox.items.filter((e) => e.type === 'reward.expiring');
    expect(reminders).toHaveLength(1);
  });
});
