import { describe, expect, it } from 'vitest';
import {
  createEngine,
  createWorker,
  memoryStore,
  type OutboxEvent,
  type Tenant,
  type WorkerChannel,
} from '../src/index.js';

const NOW = new Date('2026-11-02T09:00:00.000Z');

async function setup() {
  const store = memoryStore();
  const engine = createEngine({ store, clock: () => NOW });
  const a = await engine.tenants.create({ name: 'A' });
  const b = await engine.tenants.create({ name: 'B' });
  return { store, engine, a, b };
}

describe('worker channels', () => {
  it('hear every outbox event inside the fan-out transaction and tick once per tenant per pass', async () => {
    const { store, engine, a, b } = await setup();
    await engine.customers.create(a.id, { phone: '+263771234567' });
    const heard: Array<{ tenant: string; type: string; dispatchedYet: boolean }> = [];
    const ticks: Array<{ tenant: string; now: string }> = [];
    const channel: WorkerChannel = {
      name: 'test',
      async onOutboxEvent(tx, event: OutboxEvent) {
        // Still undispatched: the channel runs before the batch is marked.
        const pending = await tx.outbox.claimUndispatched(100);
        heard.push({
          tenant: tx.tenantId,
          type: event.type,
          dispatchedYet: !pending.some((e) => e.id === event.id),
        });
      },
      async tick(tenant: Tenant, now: Date) {
        ticks.push({ tenant: tenant.id, now: now.toISOString() });
      },
    };
    const worker = createWorker({ engine, clock: () => NOW, channels: [channel], scheduledEvents: false });
    const first = await worker.tick();
    expect(first.dispatched).toBe(1);
    expect(heard).toEqual([{ tenant: a.id, type: 'customer.enrolled', dispatchedYet: false }]);
    expect(ticks.map((t) => t.tenant).sort()).toEqual([a.id, b.id].sort());
    expect(ticks.every((t) => t.now === NOW.toISOString())).toBe(true);

    await worker.tick();
    expect(heard).toHaveLength(1);
    expect(ticks).toHaveLength(4);
    // Nothing left to fan out for anyone.
    expect(await store.transaction(a.id, (tx) => tx.outbox.claimUndispatched(10))).toEqual([]);
  });

  it('a throwing onOutboxEvent rolls the batch back (offered again); a throwing tick is reported', async () => {
    const { store, engine, a } = await setup();
    await engine.customers.create(a.id, { phone: '+263771234568' });
    let failOnce = true;
    let heard = 0;
    const errors: Array<{ job: string; tenantId?: string; message: string }> = [];
    const channel: WorkerChannel = {
      name: 'flaky',
      async onOutboxEvent() {
        heard++;
        if (failOnce) {
          failOnce = false;
          throw new Error('cannot queue now');
        }
      },
      async tick() {
        throw new Error('graph API down');
      },
    };
    const worker = createWorker({
      engine,
      clock: () => NOW,
      channels: [channel],
      scheduledEvents: false,
      onError: (error, context) =>
        errors.push({ ...context, message: error instanceof Error ? error.message : String(error) }),
    });
    const first = await worker.tick();
    expect(first.dispatched).toBe(0);
    expect(await store.transaction(a.id, (tx) => tx.outbox.claimUndispatched(10))).toHaveLength(1);
    expect(errors).toContainEqual({ job: 'outbox fan-out', tenantId: a.id, message: 'cannot queue now' });
    expect(errors).toContainEqual({ job: 'channel flaky', tenantId: a.id, message: 'graph API down' });

    const second = await worker.tick();
    expect(second.dispatched).toBe(1);
    expect(heard).toBe(2);
    expect(await store.transaction(a.id, (tx) => tx.outbox.claimUndispatched(10))).toEqual([]);
  });
});
