/**
 * The pure logic of the programme set-up screens (rewards, budgets, campaigns, rules): what the
 * forms turn a merchant's text into, and how the lists show the API's figures.
 */
import { formatAmount, formatMoney, formatPoints, moneyInput, parseMoney } from './format.js';

/** The most codes the API takes in one upload (core's MAX_CODES_PER_UPLOAD). */
export const MAX_CODES_PER_UPLOAD = 10_000;

export interface ParsedCodes {
  /** Unique, trimmed, in file order. */
  codes: string[];
  /** Codes given more than once in the text (sent once). */
  repeated: string[];
  /** Lines left out: a header, or a code longer than the API's 64 characters. */
  skipped: string[];
}

/**
 * Voucher codes from a textarea or a .txt/.csv file: one per line; in a CSV the first column (a
 * quoted cell is unquoted); blank lines dropped; a first line that reads "code" or "codes" taken as
 * a header.
 */
export function parseCodes(text: string): ParsedCodes {
  const seen = new Set<string>();
  const codes: string[] = [];
  const repeated: string[] = [];
  const skipped: string[] = [];
  const lines = text.replace(/^\uFEFF/, '').split(/\r\n|\n|\r/);
  lines.forEach((line, index) => {
    let cell = line.trim();
    if (cell.startsWith('"')) {
      const end = cell.indexOf('"', 1);
      cell = end === -1 ? cell.slice(1) : cell.slice(1, end);
    } else {
      cell = cell.split(/[,;\t]/)[0] ?? '';
    }
    cell = cell.trim();
    if (cell === '') return;
    if (index === 0 && /^(voucher[ _-]?)?codes?$/i.test(cell)) {
      skipped.push(cell);
      return;
    }
    if (cell.length > 64) {
      skipped.push(cell);
      return;
    }
    if (seen.has(cell)) {
      if (!repeated.includes(cell)) repeated.push(cell);
      return;
    }
    seen.add(cell);
    codes.push(cell);
  });
  return { codes, repeated, skipped };
}

export type RewardType = 'discount_percent' | 'discount_amount' | 'voucher' | 'points' | 'item';

/** A reward's value as the list shows it: money, a percentage, points, or nothing. */
export function formatRewardValue(type: RewardType, value: number, currency: string): string {
  if (type === 'discount_amount') return formatMoney(value, currency);
  if (type === 'discount_percent') return `${value}%`;
  if (type === 'points') return formatPoints(value);
  return value === 0 ? '—' : String(value);
}

/** The value input's text for a reward (money in major units for an amount discount). */
export function rewardValueInput(type: RewardType, value: number, currency: string): string {
  return type === 'discount_amount' ? moneyInput(value, currency) : String(value);
}

/**
 * The value to send for the input's text: minor units for an amount discount, a whole number
 * otherwise. Null when it is not such a number (the form says so at the field).
 */
export function parseRewardValue(type: RewardType, text: string, currency: string): number | null {
  if (type === 'discount_amount') return parseMoney(text, currency);
  return /^\s*\d{1,12}\s*$/.test(text) ? Number(text) : null;
}

/** A budget's unit: a currency code is money, `points` is points. */
export function isMoneyUnit(unit: string): boolean {
  return /^[A-Z]{3}$/.test(unit);
}

/** An amount in a budget's unit as its input's text ("50.00" GHS, "500" points). */
export function amountInput(amount: number, unit: string): string {
  return isMoneyUnit(unit) ? moneyInput(amount, unit) : String(amount);
}

/** The input's text as an amount in the unit (minor units of money), or null. */
export function parseAmount(text: string, unit: string): number | null {
  if (isMoneyUnit(unit)) return parseMoney(text, unit);
  return /^\s*\d{1,12}\s*$/.test(text) ? Number(text) : null;
}

export { formatAmount };

/** The offset (ms) of `timeZone` from UTC at `instant`. */
function zoneOffset(instant: Date, timeZone: string): number {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  }).formatToParts(instant);
  const get = (type: string) => Number(parts.find((p) => p.type === type)?.value);
  const asUtc = Date.UTC(
    get('year'),
    get('month') - 1,
    get('day'),
    get('hour'),
    get('minute'),
    get('second'),
  );
  return asUtc - Math.floor(instant.getTime() / 1000) * 1000;
}

/**
 * A `datetime-local` input's value ("2026-12-05T09:30"), read as a wall-clock time in the tenant's
 * zone, as an ISO instant; null for an empty or malformed value.
 */
export function localInputToIso(value: string, timeZone: string): string | null {
  const match = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?$/.exec(value);
  if (match === null) return null;
  const [, y, mo, d, h, mi, s] = match.map(Number) as number[];
  const wall = Date.UTC(y as number, (mo as number) - 1, d, h, mi, Number.isNaN(s) ? 0 : s);
  // Two passes: the offset at the guessed instant, then at the corrected one (around DST changes).
  let instant = wall - zoneOffset(new Date(wall), timeZone);
  instant = wall - zoneOffset(new Date(instant), timeZone);
  return new Date(instant).toISOString();
}

/** An ISO instant as a `datetime-local` value in the tenant's zone; '' for null. */
export function isoToLocalInput(iso: string | null | undefined, timeZone: string): string {
  if (iso === null || iso === undefined) return '';
  const date = new Date(iso);
  const local = new Date(date.getTime() + zoneOffset(date, timeZone));
  return local.toISOString().slice(0, 16);
}

/** Event types typed as "visit, purchase" → ["visit", "purchase"]. */
export function parseEventTypes(text: string): string[] {
  return text
    .split(/[\s,]+/)
    .map((t) => t.trim())
    .filter((t) => t !== '');
}

/** JsonLogic truthiness (the engine's): like JavaScript's, except that an empty array is false. */
export function truthy(value: unknown): boolean {
  return Array.isArray(value) ? value.length > 0 : Boolean(value);
}

/** A node of the rule test's explanation tree (`@laas/rules` ExplainNode). */
export interface ExplainNode {
  op: string;
  path: string;
  value: unknown;
  args?: ExplainNode[];
  skipped?: boolean;
}

/** A short text of a value for the tree ("2500", "\"GHS\"", "[3 items]"). */
export function shortValue(value: unknown): string {
  if (value === undefined) return 'undefined';
  const text = JSON.stringify(value);
  if (text === undefined) return String(value);
  return text.length > 60 ? `${text.slice(0, 57)}…` : text;
}

/**
 * The key of the budget period `at` falls in, in the tenant's zone (core's periodKey): `all`,
 * `2026`, `2026-12`, `2026-12-05` or the ISO week `2026-W49`.
 */
export function periodKeyAt(
  unit: 'none' | 'day' | 'week' | 'month' | 'year',
  timeZone: string,
  at = new Date(),
): string {
  if (unit === 'none') return 'all';
  const [y, m, d] = new Intl.DateTimeFormat('en-CA', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  })
    .format(at)
    .split('-')
    .map(Number) as [number, number, number];
  const pad = (n: number) => String(n).padStart(2, '0');
  if (unit === 'year') return `${y}`;
  if (unit === 'month') return `${y}-${pad(m)}`;
  if (unit === 'day') return `${y}-${pad(m)}-${pad(d)}`;
  const day = Date.UTC(y, m - 1, d);
  const thursday = day + (3 - ((new Date(day).getUTCDay() + 6) % 7)) * 86_400_000;
  const weekYear = new Date(thursday).getUTCFullYear();
  const week = 1 + Math.floor((thursday - Date.UTC(weekYear, 0, 1)) / (7 * 86_400_000));
  return `${weekYear}-W${pad(week)}`;
}
