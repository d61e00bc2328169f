import { describe, expect, it } from 'vitest';
import { createEngine, memoryStore, ValidationError } from '../src/index.js';

async function shop(settings: Record<string, unknown> = {}) {
  const engine = createEngine({ store: memoryStore() });
  const tenant = await engine.tenants.create({ name: 'Kofi Coffee', settings });
  const coffee = await engine.rewards.create(tenant.id, { name: 'Free coffee', type: 'item' });
  await engine.rules.create(tenant.id, { name: 'Visit', event_types: ['visit'], reward_id: coffee.id });
  const paused = await engine.rules.create(tenant.id, {
    name: 'Referral (paused)',
    event_types: ['referral'],
    reward_id: coffee.id,
  });
  await engine.rules.update(tenant.id, paused.id, { active: false });
  let n = 0;
  const event = (type: string) => ({
    idempotency_key: `k-${++n}`,
    type,
    customer: { phone: '+233201234567' },
  });
  return { engine, tid: tenant.id, event };
}

describe('event types', () => {
  it('warns of a type no rule listens to, with a did-you-mean, and still ingests it', async () => {
    const { engine, tid, event } = await shop();
    const vist = await engine.ingest(tid, event('vist'));
    expect(vist.warnings).toEqual([
      {
        code: 'unknown_event_type',
        message: 'No rule listens to "vist"; did you mean "visit"?',
        path: 'type',
      },
    ]);
    expect((await engine.events.get(tid, vist.event_id)).type).toBe('vist');
    const odd = await engine.dryRun(tid, { type: 'zzzzzz', customer: { phone: '+233201234567' } });
    expect(odd.warnings?.[0]?.message).toBe('No rule listens to "zzzzzz"');
  });

  it('knows the types of active and inactive rules, purchases and scheduled events', async () => {
    const { engine, tid, event } = await shop();
    for (const type of ['visit', 'referral', 'purchase', 'customer.birthday', 'customer.inactive']) {
      expect((await engine.ingest(tid, event(type))).warnings, type).toBeUndefined();
    }
    // A rule created later is seen at once (the known types follow the rules' version).
    const reward = await engine.rewards.create(tid, { name: 'Mug', type: 'item' });
    expect((await engine.ingest(tid, event('review'))).warnings).toHaveLength(1);
    await engine.rules.create(tid, { name: 'Review', event_types: ['review'], reward_id: reward.id });
    expect((await engine.ingest(tid, event('review'))).warnings).toBeUndefined();
  });

  it('refuses a type outside the declared event_types, naming `type` and the allowed ones', async () => {
    const { engine, tid, event } = await shop({ event_types: ['visit', 'purchase', 'signup'] });
    const refusal = await engine.ingest(tid, event('vist')).catch((e: unknown) => e);
    expect(refusal).toBeInstanceOf(ValidationError);
    expect((refusal as ValidationError).message).toBe(
      'Invalid event: type: "vist" is not one of this tenant\'s event_types ("visit", "purchase", "signup"); did you mean "visit"?',
    );
    expect((refusal as ValidationError).issues[0]).toMatchObject({
      path: 'type',
      code: 'undeclared_event_type',
    });
    expect((await engine.customers.list(tid)).items).toHaveLength(0);
    // Declared (even with no rule) and scheduled types are accepted without a warning.
    expect((await engine.ingest(tid, event('signup'))).warnings).toBeUndefined();
    expect((await engine.ingest(tid, event('customer.birthday'))).warnings).toBeUndefined();
    // null lifts the restriction again.
    await engine.tenants.update(tid, { settings: { event_types: null } });
    expect((await engine.ingest(tid, event('vist'))).warnings).toHaveLength(1);
  });

  it('dry-runs without an idempotency key, writing nothing', async () => {
    const { engine, tid } = await shop();
    const dry = await engine.dryRun(tid, { type: 'visit', customer: { phone: '+233201234567' } });
    expect(dry).toMatchObject({ dry_run: true, replayed: false });
    expect(dry.decisions[0]?.outcome).toBe('issued');
    const again = await engine.ingest(tid, { type: 'visit', customer: { phone: '+233201234567' } } as never, {
      dryRun: true,
    });
    expect(again.replayed).toBe(false);
    expect((await engine.customers.list(tid)).items).toHaveLength(0);
    await expect(
      engine.ingest(tid, { type: 'visit', customer: { phone: '+233201234567' } } as never),
    ).rejects.toThrow(/idempotency_key/);
  });
});
