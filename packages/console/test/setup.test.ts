import { describe, expect, it } from 'vitest';
import { parseMoney } from '../src/lib/format.js';
import {
  amountInput,
  formatRewardValue,
  isoToLocalInput,
  localInputToIso,
  parseAmount,
  parseCodes,
  parseEventTypes,
  parseRewardValue,
  periodKeyAt,
  rewardValueInput,
  shortValue,
  truthy,
} from '../src/lib/setup.js';

describe('parseCodes', () => {
  it('takes one code per line, trimmed, blank lines dropped, repeats sent once', () => {
    expect(parseCodes('  A1 \n\nB2\r\nA1\nC3\n')).toEqual({
      codes: ['A1', 'B2', 'C3'],
      repeated: ['A1'],
      skipped: [],
    });
  });

  it('reads the first column of a CSV, unquoting cells and skipping a header', () => {
    const csv = '\uFEFFcode,expires\n"X-1",2027-01-01\nX-2;extra\nX-3\t1\n';
    expect(parseCodes(csv)).toEqual({ codes: ['X-1', 'X-2', 'X-3'], repeated: [], skipped: ['code'] });
  });

  it('leaves out codes longer than the API takes', () => {
    const long = 'L'.repeat(65);
    expect(parseCodes(`OK\n${long}`)).toEqual({ codes: ['OK'], repeated: [], skipped: [long] });
  });

  it('keeps a first line that is a code, not a header', () => {
    expect(parseCodes('CODE-1\nCODE-2').codes).toEqual(['CODE-1', 'CODE-2']);
  });
});

describe('reward values and amounts', () => {
  it('shows a value as money, a percentage or points by the reward type', () => {
    expect(formatRewardValue('discount_amount', 250, 'GHS')).toContain('2.50');
    expect(formatRewardValue('discount_percent', 15, 'GHS')).toBe('15%');
    expect(formatRewardValue('points', 50, 'GHS')).toContain('50');
    expect(formatRewardValue('voucher', 0, 'GHS')).toBe('—');
  });

  it('takes major units for an amount discount and whole numbers otherwise', () => {
    expect(parseRewardValue('discount_amount', '2.50', 'GHS')).toBe(250);
    expect(parseRewardValue('discount_amount', '2.505', 'GHS')).toBeNull();
    expect(parseRewardValue('discount_amount', '500', 'JPY')).toBe(500);
    expect(parseRewardValue('discount_percent', '15', 'GHS')).toBe(15);
    expect(parseRewardValue('points', '1.5', 'GHS')).toBeNull();
    expect(rewardValueInput('discount_amount', 250, 'GHS')).toBe('2.50');
    expect(rewardValueInput('points', 50, 'GHS')).toBe('50');
  });

  it('reads a budget amount in its unit: money in a currency, points otherwise', () => {
    expect(parseAmount('50.00', 'GHS')).toBe(5000);
    expect(parseAmount('50', 'GHS')).toBe(5000);
    expect(parseAmount('50.001', 'GHS')).toBeNull();
    expect(parseAmount('1.234', 'KWD')).toBe(1234);
    expect(parseAmount('500', 'points')).toBe(500);
    expect(parseAmount('5.5', 'points')).toBeNull();
    expect(amountInput(5000, 'GHS')).toBe('50.00');
    expect(amountInput(500, 'points')).toBe('500');
    expect(parseMoney('2,50', 'GHS')).toBeNull();
  });
});

describe('times in the tenant zone', () => {
  it('reads a datetime-local value as wall-clock time in the zone', () => {
    expect(localInputToIso('2026-12-05T09:30', 'Africa/Accra')).toBe('2026-12-05T09:30:00.000Z');
    expect(localInputToIso('2026-12-05T09:30', 'Africa/Nairobi')).toBe('2026-12-05T06:30:00.000Z');
    expect(localInputToIso('2026-07-01T12:00', 'Europe/London')).toBe('2026-07-01T11:00:00.000Z');
    expect(localInputToIso('2026-01-01T12:00', 'Europe/London')).toBe('2026-01-01T12:00:00.000Z');
    expect(localInputToIso('', 'UTC')).toBeNull();
  });

  it('shows an instant as a datetime-local value in the zone, the inverse', () => {
    expect(isoToLocalInput('2026-12-05T06:30:00.000Z', 'Africa/Nairobi')).toBe('2026-12-05T09:30');
    expect(isoToLocalInput(null, 'UTC')).toBe('');
    const iso = localInputToIso('2026-03-29T03:15', 'Europe/Berlin') as string;
    expect(isoToLocalInput(iso, 'Europe/Berlin')).toBe('2026-03-29T03:15');
  });
});

describe('rule editor helpers', () => {
  it('splits event types on commas and spaces', () => {
    expect(parseEventTypes(' visit, purchase  referral,,')).toEqual(['visit', 'purchase', 'referral']);
  });

  it('judges truth like JsonLogic and shortens values for the tree', () => {
    expect(truthy([])).toBe(false);
    expect(truthy([0])).toBe(true);
    expect(truthy(0)).toBe(false);
    expect(truthy('x')).toBe(true);
    expect(shortValue('GHS')).toBe('"GHS"');
    expect(shortValue(undefined)).toBe('undefined');
    expect(shortValue('x'.repeat(100))).toHaveLength(58);
  });
});

describe('periodKeyAt', () => {
  it('names the period an instant falls in, in the tenant zone, as core does', () => {
    const at = new Date('2026-12-31T22:30:00Z');
    expect(periodKeyAt('none', 'UTC', at)).toBe('all');
    expect(periodKeyAt('month', 'UTC', at)).toBe('2026-12');
    expect(periodKeyAt('month', 'Asia/Tokyo', at)).toBe('2027-01');
    expect(periodKeyAt('day', 'Asia/Tokyo', at)).toBe('2027-01-01');
    expect(periodKeyAt('year', 'Africa/Accra', at)).toBe('2026');
    expect(periodKeyAt('week', 'UTC', at)).toBe('2026-W53');
    expect(periodKeyAt('week', 'UTC', new Date('2026-12-05T12:00:00Z'))).toBe('2026-W49');
    expect(periodKeyAt('week', 'UTC', new Date('2027-01-04T12:00:00Z'))).toBe('2027-W01');
  });
});
