import { TZDate } from '@date-fns/tz';
import { addDays, startOfDay, startOfISOWeek, startOfMonth, startOfYear } from 'date-fns';

/** An instant as an ISO-8601 UTC string with milliseconds (`2026-11-22T10:00:00.000Z`). */
export type Timestamp = string;

/** Calendar units, computed in the tenant's IANA time zone. Weeks start on Monday (ISO 8601). */
export type CalendarUnit = 'day' | 'week' | 'month' | 'year';

export function toTimestamp(date: Date): Timestamp {
  return date.toISOString();
}

/** Adds milliseconds to an instant. */
export function addMs(at: Timestamp, ms: number): Timestamp {
  return new Date(Date.parse(at) + ms).toISOString();
}

/** The UTC instant at which the local calendar `unit` containing `at` starts in `timeZone`. */
export function startOfUnit(at: Timestamp, unit: CalendarUnit, timeZone: string): Timestamp {
  const local = new TZDate(Date.parse(at), timeZone);
  const start =
    unit === 'day'
      ? startOfDay(local)
      : unit === 'week'
        ? startOfISOWeek(local)
        : unit === 'month'
          ? startOfMonth(local)
          : startOfYear(local);
  return new Date(start.getTime()).toISOString();
}

/**
 * A stable key for the calendar period containing `at` in `timeZone`: `2026-11-22` (day),
 * `2026-W47` (ISO week), `2026-11` (month), `2026` (year). Budget periods and calendar caps are
 * keyed by it.
 */
export function periodKey(at: Timestamp, unit: CalendarUnit | 'none', timeZone: string): string {
  if (unit === 'none') return 'all';
  const local = new TZDate(Date.parse(at), timeZone);
  const y = local.getFullYear();
  const m = String(local.getMonth() + 1).padStart(2, '0');
  const d = String(local.getDate()).padStart(2, '0');
  if (unit === 'day') return `${y}-${m}-${d}`;
  if (unit === 'month') return `${y}-${m}`;
  if (unit === 'year') return `${y}`;
  // ISO week: the week belongs to the year of its Thursday.
  const monday = startOfISOWeek(local);
  const thursday = addDays(monday, 3);
  const weekYear = thursday.getFullYear();
  const jan4 = new TZDate(weekYear, 0, 4, timeZone);
  const week1Monday = startOfISOWeek(jan4);
  const week = Math.round((startOfDay(monday).getTime() - week1Monday.getTime()) / (7 * 86_400_000)) + 1;
  return `${weekYear}-W${String(week).padStart(2, '0')}`;
}

/** The local wall-clock view of an instant that rules see as `now`. */
export interface LocalNow {
  /** The instant, UTC ISO-8601. */
  iso: Timestamp;
  /** Local date `YYYY-MM-DD`. */
  date: string;
  /** Local hour 0–23. */
  hour: number;
  /** Local minute 0–59. */
  minute: number;
  /** Local day of week, 0 = Sunday … 6 = Saturday (as JavaScript's getDay). */
  dow: number;
}

export function localNow(at: Timestamp, timeZone: string): LocalNow {
  const local = new TZDate(Date.parse(at), timeZone);
  const y = local.getFullYear();
  const m = String(local.getMonth() + 1).padStart(2, '0');
  const d = String(local.getDate()).padStart(2, '0');
  return {
    iso: at,
    date: `${y}-${m}-${d}`,
    hour: local.getHours(),
    minute: local.getMinutes(),
    dow: local.getDay(),
  };
}

/** True when `timeZone` is an IANA zone this runtime knows. */
export function isValidTimeZone(timeZone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone });
    return true;
  } catch {
    return false;
  }
}
