/**
 * The only conversions between domain values and SQLite values: JSON as TEXT, booleans as
 * INTEGER 0/1, timestamps as ISO-8601 UTC TEXT with milliseconds.
 */
import type { Bool, JsonText, Ts } from '../schema.js';

export function toBool(value: boolean): Bool {
  return value ? 1 : 0;
}

export function fromBool(value: Bool): boolean {
  return value !== 0;
}

export function toJson(value: unknown): JsonText {
  const text = JSON.stringify(value);
  // JSON.stringify(undefined) is undefined: store JSON null rather than fail on a NOT NULL column.
  return text === undefined ? 'null' : text;
}

export function fromJson<T>(text: JsonText): T {
  return JSON.parse(text) as T;
}

const CANONICAL_TS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/**
 * A timestamp in the one form that compares correctly as text (`2026-11-22T10:00:00.000Z`);
 * any other ISO-8601 form (no milliseconds, an offset) is converted to it.
 */
export function toTs(value: string): Ts {
  if (CANONICAL_TS.test(value)) return value;
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw new TypeError(`not an ISO-8601 timestamp: ${JSON.stringify(value)}`);
  return new Date(ms).toISOString();
}

export function toTsOrNull(value: string | null | undefined): Ts | null {
  return value === null || value === undefined ? null : toTs(value);
}

/** Undefined (an optional field left out) is stored as NULL. */
export function orNull<T>(value: T | null | undefined): T | null {
  return value === undefined ? null : value;
}
