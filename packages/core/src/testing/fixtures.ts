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
