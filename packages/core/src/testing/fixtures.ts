import { readFileSync } from 'node:fs';
import type { CreateTenantInput, Tenant } from '../domain/tenant.js';
import { createEngine } from '../engine/create-engine.js';
import type { Engine } from '../engine/types.js';
import type { Store } from '../ports/store.js';

/** A clock tests move by hand. */
export interface TestClock {
  (): Date;
  set(iso: string): void;
  advance(ms: number): void;
  iso(): string;
}

export function testClock(startIso = '2026-11-01T09:00:00.000Z'): TestClock {
  let now = Date.parse(startIso);
  const clock = (() => new Date(now)) as TestClock;
  clock.set = (iso) => {
    now = Date.parse(iso);
  };
  clock.advance = (ms) => {
    now += ms;
  };
  clock.iso = () => new Date(now).toISOString();
  return clock;
}

export const DAY = 86_400_000;

let sequence = 0;
/** A key no other test uses. */
export function uniqueKey(prefix = 'evt'): string {
  sequence += 1;
  return `${prefix}-${Date.now().toString(36)}-${sequence}-${Math.random().toString(36).slice(2, 8)}`;
}

/** A phone number no other test in this process uses. */
export function uniquePhone(): string {
  sequence += 1;
  return `+2637${String(Math.floor(Math.random() * 1e4)).padStart(4, '0')}${String(sequence % 1e4).padStart(4, '0')}`;
}

/** An engine over `store` with its own clock, and a fresh tenant. */
export async function setup(
  store: Store,
  tenant: Partial<CreateTenantInput> = {},
  start?: string,
): Promise<{ engine: Engine; clock: TestClock; tenant: Tenant }> {
  const clock = testClock(start);
  const engine = createEngine({ store, clock });
  const created = await engine.tenants.create({ name: 'Test shop', ...tenant });
  return { engine, clock, tenant: created };
}

/** What {@link seedPointsAndVouchers} sets up, for one tenant. */
export interface PointsAndVouchersOptions {
  /** The hard-capped voucher budget, in minor units (period `none`). */
  budgetLimit: number;
  /** What each voucher costs that budget (default 100). */
  voucherCost?: number;
  /** How many voucher codes to upload, named `<codePrefix>0`, `<codePrefix>1`, ... */
  codes: number;
  codePrefix: string;
  /** Vouchers a customer can earn in a lifetime. */
  perCustomer: number;
}

/**
 * A small programme whose every decision is checkable: 1 point per 100 of `event.amount` on a
 * purchase; on a visit, a voucher drawn from a code pool, charged to a hard-capped budget and
 * limited per customer. The tests of operations (backups, scale-out) run it under load.
 */
export async function seedPointsAndVouchers(
  engine: Engine,
  tenantId: string,
  options: PointsAndVouchersOptions,
) {
  const t = tenantId;
  const budget = await engine.budgets.create(t, {
    name: 'Vouchers',
    limit: options.budgetLimit,
    period: 'none',
    hard_cap: true,
  });
  const points = await engine.rewards.create(t, { name: 'Points', type: 'points', value: 1 });
  const voucher = await engine.rewards.create(t, {
    name: 'Voucher',
    type: 'voucher',
    value: 5,
    cost: options.voucherCost ?? 100,
  });
  await engine.rewards.uploadCodes(t, voucher.id, {
    codes: Array.from({ length: options.codes }, (_, i) => `${options.codePrefix}${i}`),
  });
  await engine.rules.create(t, {
    name: 'points',
    event_types: ['purchase'],
    reward_id: points.id,
    quantity: { floor: [{ '/': [{ var: 'event.amount' }, 100] }] },
  });
  await engine.rules.create(t, {
    name: 'voucher',
    event_types: ['visit'],
    reward_id: voucher.id,
    budget_id: budget.id,
    caps: [{ scope: 'customer', max: options.perCustomer, window: 'lifetime' }],
  });
  return { budget, points, voucher };
}

/**
 * The names among `names` (a package's exports) that its README's `Reference` section (a `##` or
 * `###` heading, up to the next `##`) does not mention: an export added without its line there.
 */
export function undocumentedExports(readmeUrl: URL, names: readonly string[]): string[] {
  const readme = readFileSync(readmeUrl, 'utf8');
  const start = readme.search(/^#{2,3} Reference$/m);
  if (start === -1) return [...names];
  const rest = readme.slice(readme.indexOf('\n', start));
  const end = rest.search(/^## /m);
  const section = end === -1 ? rest : rest.slice(0, end);
  return names.filter((name) => !new RegExp(`\\b${name}\\b`).test(section));
}
