/**
 * A message whose handling fails (here: the database refuses the processing transaction once) is
 * recorded as `failed` with the reason and answered with an apology, so that Meta's redelivery of
 * it is dropped as a duplicate instead of failing again for days. Runs the real webhook code on a
 * real engine (MemoryStore and SQLite) whose `transaction` fails once.
 */
import { randomBytes } from 'node:crypto';
import { sqliteStore } from '@laas/adapters-sqlite';
import { createEngine, type Engine, memoryStore, type Store } from '@laas/core';
import { describe, expect, it } from 'vitest';
import { parseSecretKey } from '../src/channels/whatsapp/secret-box.js';
import { putWhatsAppSettingsSchema, toStored } from '../src/channels/whatsapp/settings.js';
import { signPayload } from '../src/channels/whatsapp/signature.js';
import { receiveNotification } from '../src/channels/whatsapp/webhook.js';
import { notification } from './whatsapp-payloads.js';

const APP_SECRET = 'app-secret-of-the-test';
const PHONE_NUMBER_ID = '109876543210';

function textMessage(id: string, from: string, body: string): string {
  return JSON.stringify(
    notification(PHONE_NUMBER_ID, {
      contacts: [{ profile: { name: 'Tariro' }, wa_id: from }],
      messages: [{ from, id, timestamp: '1603059201', type: 'text', text: { body } }],
    }),
  );
}

/** The engine, except that its next `transaction` fails as a lost database connection would. */
function failingOnce(engine: Engine): Engine & { armed: boolean } {
  const wrapped = Object.create(engine) as Engine & { armed: boolean };
  wrapped.armed = true;
  wrapped.transaction = (tenantId, fn) => {
    if (wrapped.armed) {
      wrapped.armed = false;
      return Promise.reject(new Error('connection to the database lost'));
    }
    return engine.transaction(tenantId, fn);
  };
  return wrapped;
}

const STORES: Record<string, () => Promise<Store>> = {
  memory: async () => memoryStore(),
  sqlite: async () => {
    const store = sqliteStore({ filename: ':memory:' });
    await store.migrate();
    return store;
  },
};

describe.each(Object.keys(STORES))('a WhatsApp message whose handling fails (%s)', (kind) => {
  it('is recorded as failed with the reason, answered with an apology, and not handled again when redelivered', async () => {
    const store = await (STORES[kind] as () => Promise<Store>)();
    const real = createEngine({ store });
    const secretKey = parseSecretKey(randomBytes(32).toString('hex'));
    const tenant = await real.tenants.create({ name: 'Kofi Coffee', timezone: 'Africa/Accra' });
    const input = putWhatsAppSettingsSchema.parse({
      phone_number_id: PHONE_NUMBER_ID,
      display_phone_number: '15550001111',
      access_token: `EAAG${randomBytes(24).toString('hex')}`,
      app_secret: APP_SECRET,
      verify_token: 'verify-token-of-the-test',
      enrollment_code: 'COFFEE',
    });
    const now = new Date().toISOString();
    await store.transaction(tenant.id, (tx) =>
      tx.whatsapp.putSettings(toStored(secretKey, tenant.id, input, null, now)),
    );

    const engine = failingOnce(real);
    const ctx = { engine, store, secretKey, clock: () => new Date() };
    const raw = textMessage('wamid.HBgMfailing', '263771234567', 'JOIN COFFEE');
    const bytes = new TextEncoder().encode(raw);
    const first = await receiveNotification(ctx, bytes, signPayload(bytes, APP_SECRET));
    expect(first).toMatchObject({ verified: true, handled: 0, failed: 1, duplicates: 0 });

    const rows = await store.transaction(tenant.id, (tx) => tx.whatsapp.listMessages({ limit: 10 }));
    const inbound = rows.items.filter((m) => m.direction === 'in');
    const outbound = rows.items.filter((m) => m.direction === 'out');
    expect(inbound).toEqual([
      expect.objectContaining({
        wa_message_id: 'wamid.HBgMfailing',
        status: 'failed',
        error: 'connection to the database lost',
      }),
    ]);
    expect(outbound).toEqual([
      expect.objectContaining({ phone: '263771234567', status: 'queued', kind: 'text' }),
    ]);
    // Nothing of the failed handling stayed: no customer was enrolled.
    expect((await real.customers.list(tenant.id)).items).toEqual([]);

    // Meta redelivers it: dropped as a duplicate, not handled (nor apologised for) again.
    const again = await receiveNotification(ctx, bytes, signPayload(bytes, APP_SECRET));
    expect(again).toMatchObject({ verified: true, handled: 0, failed: 0, duplicates: 1 });
    const after = await store.transaction(tenant.id, (tx) => tx.whatsapp.listMessages({ limit: 10 }));
    expect(after.items).toHaveLength(2);
    await store.close();
  });
});
