// The ingest benchmarks' tenant: 20 active rules (a mix like the rules benchmark), a budget, caps,
// and 10,000 customers; events are purchases and visits of random customers.

const CHANNELS = ['pos', 'web', 'app', 'kiosk'];

/** Creates the tenant, rewards, budget and the 20 rules; returns the tenant id. */
export async function seedTenant(engine, { customers = 10_000, concurrency = 1 } = {}) {
  const tenant = await engine.tenants.create({ name: 'Bench shop', timezone: 'Africa/Harare' });
  const t = tenant.id;
  const budget = await engine.budgets.create(t, { name: 'Monthly', limit: 1_000_000_000, period: 'month' });
  const points = await engine.rewards.create(t, { name: 'Points', type: 'points', value: 1 });
  const coffee = await engine.rewards.create(t, { name: 'Coffee', type: 'item', cost: 250 });
  const discount = await engine.rewards.create(t, {
    name: '10% off',
    type: 'discount_percent',
    value: 10,
    cost: 100,
  });
  const hamper = await engine.rewards.create(t, {
    name: 'Hamper',
    type: 'item',
    cost: 2000,
    issue_mode: 'manual',
  });
  const rule = (name, event_types, condition, reward_id, extra = {}) =>
    engine.rules.create(t, { name, event_types, condition, reward_id, ...extra });
  const amount = { var: 'event.amount' };
  await rule('Points per dollar', ['purchase'], true, points.id, {
    quantity: { floor: [{ '/': [amount, 100] }] },
  });
  await rule(
    'Stamp card',
    ['visit'],
    { '==': [{ '%': [{ var: 'customer.stats.counts.visit' }, 5] }, 0] },
    coffee.id,
    {
      budget_id: budget.id,
    },
  );
  await rule('Big basket', ['purchase'], { '>=': [amount, 20_000] }, hamper.id, {
    budget_id: budget.id,
    caps: [{ scope: 'customer', max: 1, window: 'month' }],
  });
  await rule('Online order', ['purchase'], { in: [{ var: 'event.channel' }, ['web', 'app']] }, discount.id, {
    budget_id: budget.id,
    caps: [{ scope: 'customer', max: 2, window: 'week' }],
    cooldown: '1d',
  });
  await rule(
    'Tenth purchase',
    ['purchase'],
    { '==': [{ var: 'customer.stats.counts.purchase' }, 10] },
    coffee.id,
  );
  await rule(
    'Coffee lover',
    ['purchase'],
    { some: [{ var: 'event.items' }, { '==': [{ var: 'sku' }, 'COFFEE-L'] }] },
    coffee.id,
    { caps: [{ scope: 'global', max: 1_000_000, window: 'day' }] },
  );
  for (let i = 0; i < 14; i++) {
    // Thresholds and channel checks that rarely match: the common case of a rule set.
    const threshold = 50_000 + i * 1000;
    await rule(
      `Promo ${i + 1}`,
      ['purchase', 'visit'],
      {
        and: [
          { '>=': [amount, threshold] },
          { '==': [{ var: 'event.channel' }, CHANNELS[i % CHANNELS.length]] },
          { in: ['vip', { var: 'customer.tags' }] },
        ],
      },
      discount.id,
      { budget_id: budget.id },
    );
  }
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < customers) {
        const i = next++;
        await engine.customers.create(t, { external_ref: `c-${i}`, tags: i % 10 === 0 ? ['vip'] : [] });
      }
    }),
  );
  return t;
}

/**
 * mulberry32: a 32-bit PRNG in integer arithmetic. (The linear congruential generator this replaced
 * multiplied in floating point past 2^53, lost its low bits and cycled after ~3,000 draws, so the
 * "10,000 customers" were 3,210.)
 */
export function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Throws unless `list` (from {@link events}) reaches at least `share` of `customers` distinct
 * customers as a uniform draw would (1 - e^(-n/c) of them): a broken generator skews every figure.
 */
export function assertCustomerSpread(list, customers, share = 0.9) {
  const distinct = new Set(list.map((e) => e.customer.external_ref)).size;
  const expected = customers * (1 - Math.exp(-list.length / customers));
  if (distinct < expected * share) {
    throw new Error(
      `the workload reaches ${distinct} distinct customers of ${customers}; a uniform draw of ${list.length} events reaches about ${Math.round(expected)}`,
    );
  }
  return distinct;
}

/** A deterministic pseudo-random event stream. */
export function* events(count, { customers = 10_000, seed = 42, prefix = 'e' } = {}) {
  const next = prng(seed);
  for (let i = 0; i < count; i++) {
    const purchase = next() < 0.7;
    yield {
      idempotency_key: `${prefix}-${i}`,
      type: purchase ? 'purchase' : 'visit',
      customer: { external_ref: `c-${Math.floor(next() * customers)}` },
      data: purchase
        ? {
            amount: Math.floor(next() * 30_000),
            channel: CHANNELS[Math.floor(next() * CHANNELS.length)],
            items: [{ sku: next() < 0.3 ? 'COFFEE-L' : 'BAGEL', qty: 1 }],
          }
        : { channel: 'pos' },
    };
  }
}
