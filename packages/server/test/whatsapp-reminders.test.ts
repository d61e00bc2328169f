/**
 * Reminders and receipts on WhatsApp, on a real SQLite store and the MemoryStore: the worker's
 * reminder pass writes `points.expiring` / `reward.expiring`, and the channel's outbox hook queues
 * the customer's message in the fan-out transaction: free text inside the 24-hour window, the
 * approved template outside it, `skipped` without one; and a receipt on `reward.redeemed`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sqliteStore } from '@laas/adapters-sqlite';
import { createEngine, memoryStore, runReminders, type Store, type WhatsAppMessage } from '@laas/core';
import { afterAll, describe, expect, it } from 'vitest';
import { notifyOutboxEvent } from '../src/channels/whatsapp/notifications.js';

const dirs: string[] = [];
// biome-ignore lint/suspicious/noExplicitAny: the queued payload is untyped JSON; the assertions check it
const payload = (m: WhatsAppMessage | undefined): any => m?.body ?? {};
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

const stores: Array<[string, () => Promise<Store>]> = [
  ['memory', async () => memoryStore()],
  [
    'sqlite',
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'laas-wa-rem-'));
      dirs.push(dir);
      const store = sqliteStore({ filename: join(dir, 'laas.sqlite') });
      await store.migrate();
      return store;
    },
  ],
];

describe.each(stores)('WhatsApp reminders and receipts (%s)', (_name, makeStore) => {
  it('queues a reminder in the window, a template outside it, and a receipt on redemption; once each', async () => {
    const store = await makeStore();
    let now = Date.parse('2026-11-01T09:00:00.000Z');
    const engine = createEngine({ store, clock: () => new Date(now) });
    const tenant = await engine.tenants.create({
      name: 'Kofi Coffee',
      settings: { points_expiry: '10d', reminder_days: 3 },
    });
    const t = tenant.id;
    const voucher = await engine.rewards.create(t, {
      name: 'Free coffee',
      type: 'voucher',
      value: 5,
      validity: '5d',
    });
    await engine.rewards.generateCodes(t, voucher.id, { count: 5, length: 6, charset: 'digits' });
    const points = await engine.rewards.create(t, { name: 'Points', type: 'points', value: 1 });
    await engine.rules.create(t, { name: 'coffee', event_types: ['visit'], reward_id: voucher.id });
    await engine.rules.create(t, { name: 'pts', event_types: ['visit'], reward_id: points.id, quantity: 4 });
    const at = new Date(now).toISOString();
    await engine.transaction(t, async (tx) => {
      await tx.whatsapp.putSettings({
        tenant_id: t,
        phone_number_id: `pn-${t}`,
        display_phone_number: '263770000000',
        access_token_encrypted: 'x',
        app_secret_encrypted: 'y',
        verify_token: `vt-${t}`,
        enrollment_code: 'KOFI',
        language: 'en',
        strings: {},
        template_name: 'loyalty_update',
        template_language: 'en',
        created_at: at,
        updated_at: at,
      });
      for (const phone of ['263771000001', '263771000002'])
        await tx.whatsapp.putConversation({
          tenant_id: t,
          phone,
          last_inbound_at: at,
          pending: null,
          updated_at: at,
        });
    });
    const ann = (
      await engine.ingest(t, { idempotency_key: 'a', type: 'visit', customer: { phone: '+263771000001' } })
    ).issuances[0];
    await engine.ingest(t, { idempotency_key: 'b', type: 'visit', customer: { phone: '+263771000002' } });

    /** Fans the undispatched outbox out to the WhatsApp hook, as the worker does. */
    const fanOut = () =>
      engine.transaction(t, async (tx) => {
        const events = await tx.outbox.claimUndispatched(500);
        for (const event of events) await notifyOutboxEvent(tx, event, new Date(now));
        await tx.outbox.markDispatched(
          events.map((e) => e.id),
          new Date(now).toISOString(),
        );
      });
    const messages = async (): Promise<WhatsAppMessage[]> =>
      (await engine.transaction(t, (tx) => tx.whatsapp.listMessages({ limit: 200 }))).items;
    await fanOut();
    const afterEarn = (await messages()).length;

    // Day 3, 10:00 (inside Ann's window? no: her last message was day 1): templates for both.
    now = Date.parse('2026-11-03T10:00:00.000Z');
    await engine.transaction(t, (tx) =>
      tx.whatsapp.putConversation({
        tenant_id: t,
        phone: '263771000001',
        last_inbound_at: new Date(now - 3_600_000).toISOString(),
        pending: null,
        updated_at: new Date(now).toISOString(),
      }),
    );
    expect(await runReminders(engine, tenant, new Date(now))).toEqual({ points: 0, rewards: 2 });
    expect(await runReminders(engine, tenant, new Date(now))).toEqual({ points: 0, rewards: 0 });
    await fanOut();
    const reminders = (await messages()).slice(0, (await messages()).length - afterEarn);
    expect(reminders).toHaveLength(2);
    const toAnn = reminders.find((m) => m.phone === '263771000001');
    const toBen = reminders.find((m) => m.phone === '263771000002');
    expect(payload(toAnn)).toMatchObject({ type: 'text' });
    expect(payload(toAnn).text.body).toContain('Free coffee');
    expect(payload(toBen)).toMatchObject({ type: 'template', template: { name: 'loyalty_update' } });

    // Ann redeems: a receipt in her window.
    await engine.redeem(t, { issuance_id: ann?.id as string });
    await fanOut();
    const receipt = (await messages())[0];
    expect(receipt?.phone).toBe('263771000001');
    expect(payload(receipt).text.body).toMatch(/^Receipt: Free coffee/);
    await store.close();
  });
});
