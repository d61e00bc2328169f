/**
 * A message whose handling fails is recorded as `failed` with the reason and answered with an
 * apology, so that Meta's redelivery of it is dropped as a duplicate instead of failing again for
 * days; and nothing of the failed handling stays. The failure comes at the worst moment: AFTER the
 * handling wrote everything (the enrolled customer, the redeemed issuance and its budget move, the
 * outbox rows, the reply, the conversation), inside the same transaction, before it commits — so
 * only a real rollback of the store keeps "nothing half-done" true. Runs the real webhook code on a
 * real engine over MemoryStore, SQLite and PostgreSQL (a fresh schema, served as the app role).
 */
import { randomBytes } from 'node:crypto';
import { DEFAULT_APP_ROLE, migratePg, pgStore } from '@laas/adapters-pg';
import { sqliteStore } from '@laas/adapters-sqlite';
import { createEngine, type Engine, memoryStore, type Store, type Tenant, type Tx } from '@laas/core';
import { afterAll, describe, expect, it } from 'vitest';
import { parseSecretKey } from '../src/channels/whatsapp/secret-box.js';
import { putWhatsAppSettingsSchema, toStored } from '../src/channels/whatsapp/settings.js';
import { signPayload } from '../src/channels/whatsapp/signature.js';
import { DEFAULT_STRINGS } from '../src/channels/whatsapp/strings.js';
import { receiveNotification } from '../src/channels/whatsapp/webhook.js';
import { type Json, STORE_KINDS, TEST_PG_URL } from './harness.js';
import { notification } from './whatsapp-payloads.js';

const APP_SECRET = 'app-secret-of-the-test';
const PHONE_NUMBER_ID = '109876543210';
const FAILURE = 'connection to the database lost before COMMIT';

function textMessage(id: string, from: string, body: string): Uint8Array {
  return new TextEncoder().encode(
    JSON.stringify(
      notification(PHONE_NUMBER_ID, {
        contacts: [{ profile: { name: 'Tariro' }, wa_id: from }],
        messages: [{ from, id, timestamp: '1603059201', type: 'text', text: { body } }],
      }),
    ),
  );
}

/**
 * The engine, except that its next `transaction` (when `armed`) fails at the last moment: `fn`
 * runs and writes all it would, `witnessed` records what the transaction then holds (proof that the
 * writes did happen), and only then the transaction throws, so the store must roll it all back.
 */
function failingAfterWrites(engine: Engine): Engine & { armed: boolean; witnessed: Json } {
  const wrapped = Object.create(engine) as Engine & { armed: boolean; witnessed: Json };
  wrapped.armed = false;
  wrapped.witnessed = undefined;
  wrapped.transaction = (tenantId, fn) => {
    if (!wrapped.armed) return engine.transaction(tenantId, fn);
    wrapped.armed = false;
    return engine.transaction(tenantId, async (tx) => {
      await fn(tx);
      wrapped.witnessed = await contents(tx);
      throw new Error(FAILURE);
    });
  };
  return wrapped;
}

const PHONE = '263771234567';

/** Everything a message's handling may write, as the store holds it. */
async function contents(tx: Tx): Promise<Json> {
  const page = { limit: 200 };
  const periods: Json[] = [];
  const ledger: Json[] = [];
  for (const budget of (await tx.budgets.list(page)).items) {
    periods.push(...(await tx.budgets.listPeriods(budget.id)));
    ledger.push(...(await tx.budgets.listLedger(budget.id, null, page)).items);
  }
  return {
    customers: (await tx.customers.list({}, page)).items,
    issuances: (await tx.issuances.list({}, page)).items,
    outbox: (await tx.outbox.list(page)).items,
    periods,
    ledger,
    messages: (await tx.whatsapp.listMessages(page)).items,
    conversation: await tx.whatsapp.getConversation(PHONE),
  };
}

/** A store of each kind; PostgreSQL in a fresh schema, migrated by the owner, used as the app role. */
const STORES: Record<string, () => Promise<{ store: Store; drop: () => Promise<void> }>> = {
  memory: async () => ({ store: memoryStore(), drop: async () => {} }),
  sqlite: async () => {
    const store = sqliteStore({ filename: ':memory:' });
    await store.migrate();
    return { store, drop: async () => {} };
  },
  postgres: async () => {
    const schema = `laas_wa_fail_${randomBytes(5).toString('hex')}`;
    await migratePg({ connectionString: TEST_PG_URL, schema, appRole: DEFAULT_APP_ROLE });
    const app = new URL(TEST_PG_URL);
    app.username = DEFAULT_APP_ROLE;
    app.password = '';
    return {
      store: pgStore({ connectionString: app.toString(), schema }),
      drop: async () => {
        const owner = pgStore({ connectionString: TEST_PG_URL, schema });
        await owner.db.schema.dropSchema(schema).ifExists().cascade().execute();
        await owner.close();
      },
    };
  },
};
// PostgreSQL where the harness runs it (always under CI, where a missing server fails the run).
const KINDS = ['memory', 'sqlite', ...STORE_KINDS.filter((k) => k === 'postgres')];

describe.each(KINDS)('a WhatsApp message whose handling fails after its writes (%s)', (kind) => {
  const cleanups: Array<() => Promise<void>> = [];
  afterAll(async () => {
    for (const cleanup of cleanups) await cleanup();
  });

  /** A tenant with WhatsApp connected, on a fresh store; `engine` fails when armed. */
  async function world() {
    const { store, drop } = await (STORES[kind] as () => ReturnType<(typeof STORES)['memory']>)();
    cleanups.push(async () => {
      await store.close();
      await drop();
    });
    const real = createEngine({ store });
    const secretKey = parseSecretKey(randomBytes(32).toString('hex'));
    const tenant: Tenant = await real.tenants.create({ name: 'Kofi Coffee', timezone: 'Africa/Accra' });
    const input = putWhatsAppSettingsSchema.parse({
      phone_number_id: PHONE_NUMBER_ID,
      display_phone_number: '15550001111',
      access_token: `EAAG${randomBytes(24).toString('hex')}`,
      app_secret: APP_SECRET,
      verify_token: `verify-token-${randomBytes(6).toString('hex')}`,
      enrollment_code: 'COFFEE',
    });
    const now = new Date().toISOString();
    await store.transaction(tenant.id, (tx) =>
      tx.whatsapp.putSettings(toStored(secretKey, tenant.id, input, null, now)),
    );
    const engine = failingAfterWrites(real);
    const ctx = { engine, store, secretKey, clock: () => new Date() };
    return {
      real,
      engine,
      tenant,
      send: (bytes: Uint8Array) => receiveNotification(ctx, bytes, signPayload(bytes, APP_SECRET)),
      read: () => store.transaction(tenant.id, contents),
    };
  }

  /** The rows a failed message leaves: itself, `failed` with the reason, and the apology. */
  function expectFailedAndApologised(before: Json, after: Json, waMessageId: string) {
    const known = new Set(before.messages.map((m: { id: string }) => m.id));
    const added = after.messages.filter((m: { id: string }) => !known.has(m.id));
    expect(added).toHaveLength(2);
    expect(added).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          direction: 'in',
          wa_message_id: waMessageId,
          status: 'failed',
          error: FAILURE,
        }),
        expect.objectContaining({
          direction: 'out',
          phone: PHONE,
          status: 'queued',
          kind: 'text',
          body: expect.objectContaining({ text: expect.objectContaining({ body: DEFAULT_STRINGS.error }) }),
        }),
      ]),
    );
  }

  it('JOIN: the enrolled customer, its outbox row, the reply and the conversation are all rolled back', async () => {
    const w = await world();
    const before = await w.read();
    const join = textMessage('wamid.HBgMjoin', PHONE, 'JOIN COFFEE');

    w.engine.armed = true;
    expect(await w.send(join)).toMatchObject({ verified: true, handled: 0, failed: 1, duplicates: 0 });
    // Inside the transaction, before the failure, the handling had written everything.
    expect(w.engine.witnessed.customers).toEqual([expect.objectContaining({ phone: `+${PHONE}` })]);
    expect(w.engine.witnessed.outbox.map((e: { type: string }) => e.type)).toContain('customer.enrolled');
    expect(w.engine.witnessed.conversation).not.toBeNull();
    expect(
      w.engine.witnessed.messages.filter((m: { direction: string }) => m.direction === 'out'),
    ).toHaveLength(1);

    const after = await w.read();
    expect(after.customers).toEqual([]);
    expect(after.outbox).toEqual(before.outbox);
    expect(after.conversation).toBeNull();
    expectFailedAndApologised(before, after, 'wamid.HBgMjoin');

    // Meta redelivers it: dropped as a duplicate, not handled (nor apologised for) again.
    expect(await w.send(join)).toMatchObject({ verified: true, handled: 0, failed: 0, duplicates: 1 });
    expect(await w.read()).toEqual(after);
  });

  it('YES to a redemption: the redeemed issuance, its budget move, ledger and outbox rows are all rolled back', async () => {
    const w = await world();
    const tid = w.tenant.id;
    const budget = await w.real.budgets.create(tid, { name: 'Cakes', limit: 1000, period: 'none' });
    const cake = await w.real.rewards.create(tid, { name: 'Cake', type: 'item', cost: 100 });
    await w.real.rules.create(tid, {
      name: 'Cake on purchase',
      event_types: ['purchase'],
      reward_id: cake.id,
      budget_id: budget.id,
    });
    const bought = await w.real.ingest(tid, {
      idempotency_key: 'purchase-1',
      type: 'purchase',
      customer: { phone: `+${PHONE}` },
    });
    const issuanceId = bought.issuance_ids[0];
    // REDEEM 1 is handled normally: the bot now awaits YES for this issuance.
    expect(await w.send(textMessage('wamid.HBgMredeem', PHONE, 'REDEEM 1'))).toMatchObject({ handled: 1 });
    const before = await w.read();
    expect(before.conversation.pending).toMatchObject({ issuance_id: issuanceId });
    expect(before.periods).toEqual([expect.objectContaining({ utilized: 100, spent: 0 })]);

    const yes = textMessage('wamid.HBgMyes', PHONE, 'YES');
    w.engine.armed = true;
    expect(await w.send(yes)).toMatchObject({ verified: true, handled: 0, failed: 1, duplicates: 0 });
    // Inside the transaction, before the failure, the redemption had been written.
    expect(w.engine.witnessed.issuances).toEqual([
      expect.objectContaining({ id: issuanceId, state: 'redeemed' }),
    ]);
    expect(w.engine.witnessed.periods).toEqual([expect.objectContaining({ utilized: 0, spent: 100 })]);
    expect(w.engine.witnessed.ledger.length).toBe(before.ledger.length + 1);
    expect(w.engine.witnessed.outbox.map((e: { type: string }) => e.type)).toContain('reward.redeemed');
    expect(w.engine.witnessed.conversation.pending).toBeNull();

    const after = await w.read();
    const { messages: _m, ...rest } = after;
    const { messages: _b, ...restBefore } = before;
    expect(rest).toEqual(restBefore);
    expect(after.issuances).toEqual([expect.objectContaining({ id: issuanceId, state: 'issued' })]);
    expectFailedAndApologised(before, after, 'wamid.HBgMyes');

    expect(await w.send(yes)).toMatchObject({ verified: true, handled: 0, failed: 0, duplicates: 1 });
    expect(await w.read()).toEqual(after);
  });
});
