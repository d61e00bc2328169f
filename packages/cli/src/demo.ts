import {
  type CreateBudgetInput,
  type CreateCustomerInput,
  type CreateRewardInput,
  type CreateRuleInput,
  type CreateTenantInput,
  type Engine,
  LaasError,
} from '@laas/core';

/**
 * The demo tenant of `laas serve --demo`: Kofi Coffee, the examples/coffee-shop project (same
 * ids), with two customers. Fixed ids make seeding idempotent: every entity is created only when
 * its id is not there yet, and the seed visits carry idempotency keys.
 */
export const DEMO_TENANT_ID = '0192f1a0-0000-7000-8000-00000000de00';
export const DEMO_CUSTOMER_ID = '0192f1a0-0000-7000-8000-00000000c001';
export const DEMO_BIRTHDAY_CUSTOMER_ID = '0192f1a0-0000-7000-8000-00000000c002';
export const DEMO_PHONE = '+233201234567';

const TENANT: CreateTenantInput = {
  id: DEMO_TENANT_ID,
  name: 'Kofi Coffee (demo)',
  timezone: 'Africa/Accra',
  settings: { currency: 'GHS' },
};

const BUDGET: CreateBudgetInput = {
  id: '0192f1a0-0000-7000-8000-000000000201',
  name: 'Monthly treats',
  unit: 'GHS',
  limit: 5000,
  period: 'month',
  hard_cap: true,
  soft_cap_ratio: 0.8,
};

const REWARDS: CreateRewardInput[] = [
  {
    id: '0192f1a0-0000-7000-8000-000000000001',
    name: 'Free coffee',
    type: 'item',
    cost: 300,
    validity: '30d',
  },
  {
    id: '0192f1a0-0000-7000-8000-000000000002',
    name: 'Birthday pastry',
    type: 'item',
    cost: 450,
    validity: '14d',
  },
];

const RULES: CreateRuleInput[] = [
  {
    id: '0192f1a0-0000-7000-8000-000000000101',
    name: 'Stamp card: every 5th visit earns a free coffee',
    event_types: ['visit'],
    condition: { '==': [{ '%': [{ var: 'customer.stats.counts.visit' }, 5] }, 0] },
    reward_id: '0192f1a0-0000-7000-8000-000000000001',
    budget_id: '0192f1a0-0000-7000-8000-000000000201',
    caps: [{ scope: 'customer', max: 1, window: 'day' }],
  },
  {
    id: '0192f1a0-0000-7000-8000-000000000102',
    name: 'Birthday week treat',
    event_types: ['visit', 'purchase'],
    condition: {
      and: [
        { '!!': [{ var: 'customer.birthday' }] },
        { '<=': [{ days_until_anniversary: [{ var: 'customer.birthday' }] }, 6] },
      ],
    },
    reward_id: '0192f1a0-0000-7000-8000-000000000002',
    budget_id: '0192f1a0-0000-7000-8000-000000000201',
    cooldown: '7d',
    caps: [{ scope: 'customer', max: 1, window: 'year' }],
  },
];

/** A birthday three days from `now` (so the birthday rule matches this week), in 1990. */
function birthdaySoon(now: Date): string {
  const d = new Date(now.getTime() + 3 * 86_400_000);
  const mm = String(d.getUTCMonth() + 1).padStart(2, '0');
  const dd = d.getUTCMonth() === 1 && d.getUTCDate() === 29 ? '28' : String(d.getUTCDate()).padStart(2, '0');
  return `1990-${mm}-${dd}`;
}

function customers(now: Date): CreateCustomerInput[] {
  return [
    { id: DEMO_CUSTOMER_ID, phone: DEMO_PHONE, external_ref: 'ama', name: 'Ama' },
    { id: DEMO_BIRTHDAY_CUSTOMER_ID, external_ref: 'kwame', name: 'Kwame', birthday: birthdaySoon(now) },
  ];
}

async function exists(get: () => Promise<unknown>): Promise<boolean> {
  try {
    await get();
    return true;
  } catch (error) {
    if (error instanceof LaasError && error.code === 'NOT_FOUND') return false;
    throw error;
  }
}

export interface DemoSeed {
  tenantId: string;
  /** False when everything was there already (a second `--demo` start on the same database). */
  created: boolean;
}

/** Creates what is missing of the demo tenant; a second call changes nothing. */
export async function seedDemo(engine: Engine, now = new Date()): Promise<DemoSeed> {
  let created = false;
  const ensure = async (get: () => Promise<unknown>, create: () => Promise<unknown>) => {
    if (await exists(get)) return;
    await create();
    created = true;
  };
  const t = DEMO_TENANT_ID;
  await ensure(
    () => engine.tenants.get(t),
    () => engine.tenants.create(TENANT),
  );
  const budgetId = BUDGET.id as string;
  await ensure(
    () => engine.budgets.get(t, budgetId),
    () => engine.budgets.create(t, BUDGET),
  );
  for (const reward of REWARDS) {
    await ensure(
      () => engine.rewards.get(t, reward.id as string),
      () => engine.rewards.create(t, reward),
    );
  }
  for (const rule of RULES) {
    await ensure(
      () => engine.rules.get(t, rule.id as string),
      () => engine.rules.create(t, rule),
    );
  }
  for (const customer of customers(now)) {
    await ensure(
      () => engine.customers.get(t, customer.id as string),
      () => engine.customers.create(t, customer),
    );
  }
  // Four visits for Ama: her next visit (the curl below) is the fifth and earns a free coffee.
  // The keys make these replays on a second start.
  for (let n = 1; n <= 4; n++) {
    const result = await engine.ingest(t, {
      idempotency_key: `demo-seed-visit-${n}`,
      type: 'visit',
      customer: { id: DEMO_CUSTOMER_ID },
    });
    if (!result.replayed) created = true;
  }
  return { tenantId: t, created };
}

/** The lines `laas serve --demo` prints: tenant, key, and three curl commands that work pasted. */
export function demoInstructions(url: string, tenantId: string, key: string): string[] {
  const base = `${url}/v1/tenants/${tenantId}`;
  const auth = `-H "authorization: Bearer ${key}"`;
  return [
    '',
    'Demo tenant: Kofi Coffee (stamp card: every 5th visit earns a free coffee; a birthday-week pastry).',
    `  tenant id: ${tenantId}`,
    `  admin API key (shown once; a new one on every --demo start): ${key}`,
    `  customer Ama (${DEMO_PHONE}) has 4 visits: her next visit earns a free coffee.`,
    '',
    'Try it:',
    '',
    '# 1. ingest a visit (retrying with the same Idempotency-Key is safe: same outcome, no second coffee)',
    `curl -s -XPOST ${base}/events ${auth} -H 'idempotency-key: demo-visit-5' \\`,
    `  -H 'content-type: application/json' -d '{"type":"visit","customer":{"phone":"${DEMO_PHONE}"}}'; echo`,
    '',
    "# 2. list Ama's issuances",
    `curl -s "${base}/issuances?customer_id=${DEMO_CUSTOMER_ID}" ${auth}; echo`,
    '',
    '# 3. redeem her first issued reward at the till',
    `curl -s -XPOST ${base}/issuances/$(curl -s "${base}/issuances?customer_id=${DEMO_CUSTOMER_ID}&state=issued" ${auth} \\`,
    `  | node -pe 'JSON.parse(require("fs").readFileSync(0)).items[0].id')/redeem ${auth}; echo`,
    '',
  ];
}
