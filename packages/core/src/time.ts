/** An instant as an ISO-8601 UTC string with milliseconds (`2026-11-22T10:00:00.000Z`). */
export type Timestamp = string;

/** Calendar units, computed in the tenant's IANA time zone. Weeks start on Monday (ISO 8601). */
export type CalendarUnit = 'day' | 'week' | 'month' | 'year';

const DAY_MS = 86_400_000;
const BUCKET_MS = 900_000;

export function toTimestamp(date: Date): Timestamp {
  return date.toISOString();
}

/** Adds milliseconds to an instant. */
export function addMs(at: Timestamp, ms: number): Timestamp {
  return new Date(Date.parse(at) + ms).toISOString();
}

// Time zones are resolved with Intl (the runtime's tz database) and cached per quarter hour: every
// ingest computes local dates, periods and window starts, and a date library constructing zoned
// dates per call cost more than the rest of rule evaluation (measured: 7% of ingest). Offsets
// change only at transitions, which fall on quarter hours in UTC for every zone in use since 1970.
const formatters = new Map<string, Intl.DateTimeFormat>();
/** zone → quarter-hour bucket → offset. */
const offsets = new Map<string, Map<number, number>>();
let offsetCount = 0;
/** The last answer: an ingest asks about the same zone and quarter hour several times over. */
let lastZone = '';
let lastBucket = Number.NaN;
let lastOffset = 0;

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (f === undefined) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

/** The zone's offset from UTC in milliseconds at `epoch` (local = UTC + offset). */
export function zoneOffsetMs(epoch: number, timeZone: string): number {
  if (timeZone === 'UTC' || timeZone === 'Etc/UTC') return 0;
  const bucket = Math.floor(epoch / BUCKET_MS) * BUCKET_MS;
  if (bucket === lastBucket && timeZone === lastZone) return lastOffset;
  let zone = offsets.get(timeZone);
  if (zone === undefined) {
    zone = new Map();
    offsets.set(timeZone, zone);
  }
  let offset = zone.get(bucket);
  if (offset === undefined) {
    offset = computeOffset(bucket, timeZone);
    if (offsetCount >= 50_000) {
      for (const other of offsets.values()) other.clear();
      offsetCount = 0;
    }
    zone.set(bucket, offset);
    offsetCount++;
  }
  lastZone = timeZone;
  lastBucket = bucket;
  lastOffset = offset;
  return offset;
}

function computeOffset(bucket: number, timeZone: string): number {
  const parts: Record<string, number> = {};
  for (const part of formatter(timeZone).formatToParts(new Date(bucket))) {
    if (part.type !== 'literal') parts[part.type] = Number(part.value);
  }
  const asUtc = Date.UTC(
    parts.year ?? 1970,
    (parts.month ?? 1) - 1,
    parts.day ?? 1,
    parts.hour ?? 0,
    parts.minute ?? 0,
    parts.second ?? 0,
  );
  return asUtc - bucket;
}

/** The local wall-clock fields of an instant, read with UTC getters from a shifted Date. */
function local(epoch: number, timeZone: string): Date {
  return new Date(epoch + zoneOffsetMs(epoch, timeZone));
}

/** The UTC instant of a local wall-clock time (`localEpoch` = that time read as if it were UTC). */
function fromLocal(localEpoch: number, timeZone: string): number {
  const guess = localEpoch - zoneOffsetMs(localEpoch, timeZone);
  return localEpoch - zoneOffsetMs(guess, timeZone);
}

function pad(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

/** The UTC instant at which the local calendar `unit` containing `at` starts in `timeZone`. */
export function startOfUnit(at: Timestamp, unit: CalendarUnit, timeZone: string): Timestamp {
  const l = local(Date.parse(at), timeZone);
  const y = l.getUTCFullYear();
  const m = l.getUTCMonth();
  const d = l.getUTCDate();
  let start: number;
  if (unit === 'day') start = Date.UTC(y, m, d);
  else if (unit === 'week') start = Date.UTC(y, m, d) - ((l.getUTCDay() + 6) % 7) * DAY_MS;
  else if (unit === 'month') start = Date.UTC(y, m, 1);
  else start = Date.UTC(y, 0, 1);
  return new Date(fromLocal(start, timeZone)).toISOString();
}

/**
 * A stable key for the calendar period containing `at` in `timeZone`: `2026-11-22` (day),
 * `2026-W47` (ISO week), `2026-11` (month), `2026` (year), `all` (no periods). Budget periods
 * and calendar caps are keyed by it.
 */
export function periodKey(at: Timestamp, unit: CalendarUnit | 'none', timeZone: string): string {
  if (unit === 'none') return 'all';
  const l = local(Date.parse(at), timeZone);
  const y = l.getUTCFullYear();
  if (unit === 'year') return `${y}`;
  if (unit === 'month') return `${y}-${pad(l.getUTCMonth() + 1)}`;
  if (unit === 'day') return `${y}-${pad(l.getUTCMonth() + 1)}-${pad(l.getUTCDate())}`;
  // ISO week: the week belongs to the year of its Thursday.
  const day = Date.UTC(y, l.getUTCMonth(), l.getUTCDate());
  const thursday = day + (3 - ((l.getUTCDay() + 6) % 7)) * DAY_MS;
  const weekYear = new Date(thursday).getUTCFullYear();
  const week = 1 + Math.floor((thursday - Date.UTC(weekYear, 0, 1)) / (7 * DAY_MS));
  return `${weekYear}-W${pad(week)}`;
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
  const l = local(Date.parse(at), timeZone);
  return {
    iso: at,
    date: `${l.getUTCFullYear()}-${pad(l.getUTCMonth() + 1)}-${pad(l.getUTCDate())}`,
    hour: l.getUTCHours(),
    minute: l.getUTCMinutes(),
    dow: l.getUTCDay(),
  };
}

/** True when `timeZone` is an IANA zone this runtime knows. */
export function isValidTimeZone(timeZone: string): boolean {
  try {
    formatter(timeZone);
    return true;
  } catch {
    return false;
  }
}

/** A local calendar date `YYYY-MM-DD` plus `days` days (negative: before). */
export function addDays(date: string, days: number): string {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  const next = new Date(Date.UTC(y, m - 1, d) + days * DAY_MS);
  return `${next.getUTCFullYear()}-${pad(next.getUTCMonth() + 1)}-${pad(next.getUTCDate())}`;
}

/** The UTC instant at which the local calendar date `date` (`YYYY-MM-DD`) starts in `timeZone`. */
export function startOfDate(date: string, timeZone: string): Timestamp {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  return new Date(fromLocal(Date.UTC(y, m - 1, d), timeZone)).toISOString();
}

/**
 * The local days from `from` to `to` (both `YYYY-MM-DD`, inclusive) in `timeZone`, each with the
 * instants `start <= t < end` it covers: a day is 23 or 25 hours long where the clocks change.
 */
export function localDays(
  from: string,
  to: string,
  timeZone: string,
): Array<{ date: string; start: Timestamp; end: Timestamp }> {
  const days: Array<{ date: string; start: Timestamp; end: Timestamp }> = [];
  let start = startOfDate(from, timeZone);
  for (let date = from; date <= to; ) {
    const next = addDays(date, 1);
    const end = startOfDate(next, timeZone);
    days.push({ date, start, end });
    start = end;
    date = next;
  }
  return days;
}
