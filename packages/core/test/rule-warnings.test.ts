import { describe, expect, it } from 'vitest';
import { createEngine, memoryStore, UnprocessableInputError } from '../src/index.js';

describe('engine.rules.create / update: warnings, and strict', () => {
  it('answers the warnings beside the rule, and strict refuses the rule with a 422 VALIDATION_ERROR', async () => {
    const engine = createEngine({ store: memoryStore() });
    const shop = await engine.tenants.create({ name: 'Kofi Coffee' });
    const coffee = await engine.rewards.create(shop.id, { name: 'Free coffee', type: 'item' });
    const input = {
      name: 'Big spend',
      event_types: ['purchase'],
      reward_id: coffee.id,
      quantity: { floor: [{ '/': [{ var: 'event.amout' }, 100] }] },
    };
    const refused = await engine.rules.create(shop.id, input, { strict: true }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(UnprocessableInputError);
    expect((refused as UnprocessableInputError).httpStatus).toBe(422);
    expect((refused as UnprocessableInputError).toJSON()).toMatchObject({
      code: 'VALIDATION_ERROR',
      details: { issues: [{ path: 'quantity.floor[0]["/"][0].var', code: 'unknown_path' }] },
    });
    expect((await engine.rules.list(shop.id)).items).toHaveLength(0);

    const rule = await engine.rules.create(shop.id, input);
    expect(rule.warnings).toEqual([
      expect.objectContaining({ path: 'quantity.floor[0]["/"][0].var', suggestion: 'event.amount' }),
    ]);
    expect(await engine.rules.get(shop.id, rule.id)).not.toHaveProperty('warnings');

    const fixed = await engine.rules.update(
      shop.id,
      rule.id,
      { quantity: { floor: [{ '/': [{ var: 'event.amount' }, 100] }] } },
      { strict: true },
    );
    expect(fixed).toMatchObject({ version: 2, warnings: [] });
  });
});
