import { describe, expect, it } from 'vitest';
import { localNow, periodKey, startOfUnit, zoneOffsetMs } from '../src/time.js';

describe('calendar time in the tenant zone', () => {
  it('keys periods by the local date', () => {
    expect(periodKey('2026-11-22T23:30:00.000Z', 'day', 'Africa/Harare')).toBe('2026-11-23');
    expect(periodKey('2026-12-31T23:00:00.000Z', 'month', 'Pacific/Auckland')).toBe('2027-01');
    expect(periodKey('2026-12-31T23:00:00.000Z', 'year', 'America/New_York')).toBe('2026');
    expect(periodKey('2026-06-01T00:00:00.000Z', 'none', 'UTC')).toBe('all');
  });

  it('numbers ISO weeks by the year of their Thursday', () => {
    expect(periodKey('2026-01-01T05:00:00.000Z', 'week', 'UTC')).toBe('2026-W01');
    expect(periodKey('2027-01-03T05:00:00.000Z', 'week', 'UTC')).toBe('2026-W53');
    expect(periodKey('2024-12-30T12:00:00.000Z', 'week', 'UTC')).toBe('2025-W01');
    expect(periodKey('2026-11-22T12:00:00.000Z', 'week', 'UTC')).toBe('2026-W47');
    // Sunday 23:30 in Harare is already Monday of the next week.
    expect(periodKey('2026-11-22T22:30:00.000Z', 'week', 'Africa/Harare')).toBe('2026-W48');
  });

  it('finds the UTC start of local days, weeks, months and years, across DST', () => {
    expect(startOfUnit('2026-11-22T23:30:00.000Z', 'day', 'Africa/Harare')).toBe('2026-11-22T22:00:00.000Z');
    expect(startOfUnit('2026-11-22T10:00:00.000Z', 'month', 'America/New_York')).toBe(
      '2026-11-01T04:00:00.000Z',
    );
    expect(startOfUnit('2026-11-22T10:00:00.000Z', 'week', 'UTC')).toBe('2026-11-16T00:00:00.000Z');
    expect(startOfUnit('2026-03-20T10:00:00.000Z', 'year', 'Pacific/Auckland')).toBe(
      '2025-12-31T11:00:00.000Z',
    );
    // The day DST starts in New York (clocks go 02:00 -> 03:00) still starts at local midnight, EST.
    expect(startOfUnit('2026-03-08T15:00:00.000Z', 'day', 'America/New_York')).toBe(
      '2026-03-08T05:00:00.000Z',
    );
    expect(startOfUnit('2026-03-09T15:00:00.000Z', 'day', 'America/New_York')).toBe(
      '2026-03-09T04:00:00.000Z',
    );
  });

  it('shows rules the local now', () => {
    expect(localNow('2026-11-22T23:30:00.000Z', 'Africa/Harare')).toEqual({
      iso: '2026-11-22T23:30:00.000Z',
      date: '2026-11-23',
      hour: 1,
      minute: 30,
      dow: 1,
    });
    expect(zoneOffsetMs(Date.parse('2026-07-01T00:00:00Z'), 'Asia/Kolkata')).toBe(5.5 * 3_600_000);
    expect(localNow('2026-07-01T00:00:00.000Z', 'Asia/Kathmandu').minute).toBe(45);
  });
});
