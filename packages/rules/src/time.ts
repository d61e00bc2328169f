import { lookup, type State } from './runtime.js';
import type { EvaluationEnv } from './types.js';
import { RuleEvaluationError } from './types.js';

const DAY_MS = 86_400_000;
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
      hourCycle: 'h23',
      era: 'short',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

/** True when `timeZone` is an IANA zone name Intl knows. */
export function isValidTimeZone(timeZone: string): boolean {
  try {
    formatter(timeZone);
    return true;
  } catch {
    return false;
  }
}

export interface LocalDateTime {
  /** Days since 1970-01-01 of the local calendar date. */
  day: number;
  year: number;
  month: number;
  date: number;
  /** Seconds since local midnight. */
  seconds: number;
}

/** The wall-clock date and time of instant `ms` in `timeZone`. */
export function localDateTime(ms: number, timeZone: string): LocalDateTime {
  let year = 0;
  let month = 0;
  let date = 0;
  let hour = 0;
  let minute = 0;
  let second = 0;
  let bc = false;
  for (const part of formatter(timeZone).formatToParts(ms)) {
    switch (part.type) {
      case 'year':
        year = Number(part.value);
        break;
      case 'month':
        month = Number(part.value);
        break;
      case 'day':
        date = Number(part.value);
        break;
      case 'hour':
        hour = Number(part.value);
        break;
      case 'minute':
        minute = Number(part.value);
        break;
      case 'second':
        second = Number(part.value);
        break;
      case 'era':
        bc = part.value === 'BC' || part.value === 'B';
        break;
    }
  }
  if (bc) year = 1 - year;
  return { day: epochDay(year, month, date), year, month, date, seconds: hour * 3600 + minute * 60 + second };
}

function epochDay(year: number, month: number, date: number): number {
  const d = new Date(0);
  d.setUTCFullYear(year, month - 1, date);
  return Math.floor(d.getTime() / DAY_MS);
}

function isLeap(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

function validYmd(year: number, month: number, date: number): boolean {
  if (month < 1 || month > 12 || date < 1) return false;
  const dim = [31, isLeap(year) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1] as number;
  return date <= dim;
}

const DATE_ONLY = /^(\d{4})-(\d{2})-(\d{2})$/;
const LOCAL_DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?$/;
const INSTANT = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})$/i;

/**
 * The local calendar date (year, month, day) that `value` denotes in `timeZone`, or null.
 * "YYYY-MM-DD" and "YYYY-MM-DDTHH:MM[:SS]" (no offset) are local already; an ISO instant (with `Z`
 * or an offset), a Date or a number of epoch milliseconds is converted to the zone.
 */
export function toLocalDate(
  value: unknown,
  timeZone: string,
): { year: number; month: number; date: number; day: number } | null {
  let ms: number;
  if (typeof value === 'string') {
    const m = DATE_ONLY.exec(value) ?? LOCAL_DATE_TIME.exec(value);
    if (m) {
      const year = Number(m[1]);
      const month = Number(m[2]);
      const date = Number(m[3]);
      if (!validYmd(year, month, date)) return null;
      return { year, month, date, day: epochDay(year, month, date) };
    }
    if (!INSTANT.test(value)) return null;
    ms = Date.parse(value);
  } else if (value instanceof Date) {
    ms = value.getTime();
  } else if (typeof value === 'number') {
    ms = value;
  } else {
    return null;
  }
  if (!Number.isFinite(ms) || Math.abs(ms) > 8.64e15) return null;
  return localDateTime(ms, timeZone);
}

/** Resolves the environment once per evaluation (only when a time or custom operator needs it). */
export function resolveEnv(s: State): Required<EvaluationEnv> {
  if (s.env) return s.env;
  let now = s.envIn?.now;
  let timeZone = s.envIn?.timeZone;
  if (!(now instanceof Date) || Number.isNaN(now.getTime())) {
    now = undefined;
    const iso = lookup(s.ctx, ['now', 'iso'], undefined);
    if (typeof iso === 'string' || typeof iso === 'number') {
      const d = new Date(iso);
      if (!Number.isNaN(d.getTime())) now = d;
    }
  }
  if (!timeZone) {
    const tz = lookup(s.ctx, ['tenant', 'timezone'], undefined);
    if (typeof tz === 'string' && tz !== '') timeZone = tz;
  }
  timeZone ??= 'UTC';
  if (!isValidTimeZone(timeZone)) {
    throw new RuleEvaluationError('OPERATOR_ERROR', `unknown time zone ${JSON.stringify(timeZone)}`);
  }
  s.env = { now: now ?? new Date(), timeZone };
  return s.env;
}

function today(s: State): { env: Required<EvaluationEnv>; now: LocalDateTime } {
  const env = resolveEnv(s);
  return { env, now: localDateTime(env.now.getTime(), env.timeZone) };
}

export function daysSince(value: unknown, s: State): number | null {
  const { env, now } = today(s);
  const d = toLocalDate(value, env.timeZone);
  return d ? now.day - d.day : null;
}

export function daysUntilAnniversary(value: unknown, s: State): number | null {
  const { env, now } = today(s);
  const d = toLocalDate(value, env.timeZone);
  if (!d) return null;
  const occurrence = (year: number): number =>
    epochDay(year, d.month, d.month === 2 && d.date === 29 && !isLeap(year) ? 28 : d.date);
  let next = occurrence(now.year);
  if (next < now.day) next = occurrence(now.year + 1);
  return next - now.day;
}

const HH_MM = /^(\d{1,2}):(\d{2})(?::(\d{2}))?$/;

function secondsOfDay(value: unknown): number | null {
  if (typeof value !== 'string') return null;
  const m = HH_MM.exec(value);
  if (!m) return null;
  const h = Number(m[1]);
  const min = Number(m[2]);
  const sec = m[3] === undefined ? 0 : Number(m[3]);
  if (min > 59 || sec > 59 || h > 24 || (h === 24 && (min > 0 || sec > 0))) return null;
  return h * 3600 + min * 60 + sec;
}

export function timeBetween(start: unknown, end: unknown, s: State): boolean | null {
  const a = secondsOfDay(start);
  const b = secondsOfDay(end);
  if (a === null || b === null) return null;
  const { now } = today(s);
  const t = now.seconds;
  if (a === b) return false;
  return a < b ? t >= a && t < b : t >= a || t < b;
}
