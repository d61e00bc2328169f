/**
 * What the port contracts (`port-contracts.ts` and its WhatsApp and USSD parts) share: the suite's
 * reference time, fresh values, a tenant row, and the assertions on refusals and pages.
 */
import { expect } from 'vitest';
import type { Page } from '../domain/common.js';
import { DEFAULT_TENANT_SETTINGS, type Tenant } from '../domain/tenant.js';
import { newId } from '../ids.js';

export const T0 = Date.parse('2026-11-02T09:00:00.000Z');
export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;

/** An instant `offset` ms after the suite's reference time. */
export function at(offset = 0): string {
  return new Date(T0 + offset).toISOString();
}

let sequence = 0;
/** A value no other test uses: `<prefix>-<n>-<random>`. */
export function unique(prefix: string): string {
  sequence += 1;
  return `${prefix}-${sequence}-${Math.random().toString(36).slice(2, 10)}`;
}

/** Fresh international digits (no `+`), e.g. `263700042` + 4 random digits. */
export function uniqueDigits(): string {
  sequence += 1;
  return `2637${String(sequence % 100_000).padStart(5, '0')}${String(Math.floor(Math.random() * 10_000)).padStart(4, '0')}`;
}

/** `n` fresh ids in ascending order. */
export function ascendingIds(n: number): string[] {
  return Array.from({ length: n }, () => newId()).sort();
}

export function tenantRow(id: string, over: Partial<Tenant> = {}): Tenant {
  return {
    id,
    name: 'Conformance shop',
    timezone: 'UTC',
    settings: { ...DEFAULT_TENANT_SETTINGS },
    created_at: at(),
    ...over,
  };
}

/** What `promise` rejected with, or fails the test when it resolved. */
export async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the operation to be refused');
}

/**
 * A `UniqueViolationError` naming `field`. Checked by name rather than `instanceof`, so that a
 * store built against another copy of `@laas/core` (CJS and ESM builds) passes too.
 */
export async function expectUniqueViolation(promise: Promise<unknown>, field: string): Promise<void> {
  const error = await rejection(promise);
  expect(error).toBeInstanceOf(Error);
  expect(error).toMatchObject({ name: 'UniqueViolationError', field, code: 'STATE_CONFLICT' });
}

/** Every page of a list, fetched with `limit`. */
export async function allPages<T>(fetch: (cursor: string | undefined) => Promise<Page<T>>): Promise<T[][]> {
  const pages: T[][] = [];
  let cursor: string | undefined;
  for (let guard = 0; guard < 1000; guard++) {
    const page = await fetch(cursor);
    pages.push(page.items);
    if (page.next_cursor === null) return pages;
    cursor = page.next_cursor;
  }
  throw new Error('pagination did not end');
}

export function ids<T extends { id: string }>(rows: T[]): string[] {
  return rows.map((row) => row.id);
}
