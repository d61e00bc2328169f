import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { dateInZone, formatMoney, moneyInput, parseMoney } from '../src/lib/format.js';

describe('money typed by a merchant', () => {
  it('reads major units with at most the currency’s digits', () => {
    expect(parseMoney('2.50', 'GHS')).toBe(250);
    expect(parseMoney('2.5', 'GHS')).toBe(250);
    expect(parseMoney('2', 'GHS')).toBe(200);
    expect(parseMoney(' 50.00 ', 'USD')).toBe(5000);
    expect(parseMoney('500', 'JPY')).toBe(500);
    expect(parseMoney('1.5', 'JPY')).toBeNull();
    expect(parseMoney('1.234', 'KWD')).toBe(1234);
    expect(parseMoney('1.234', 'USD')).toBeNull();
    for (const bad of ['', '-1', '1,50', 'abc', '1.2.3', '1e3'])
      expect(parseMoney(bad, 'USD'), bad).toBeNull();
  });

  it('round-trips every amount through the input text, in every currency digit count', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 10_000_000_000 }),
        fc.constantFrom('USD', 'JPY', 'KWD', 'GHS'),
        (minor, currency) => {
          expect(parseMoney(moneyInput(minor, currency), currency)).toBe(minor);
        },
      ),
    );
  });

  it('shows minor units as money', () => {
    expect(formatMoney(5000, 'USD')).toBe('$50.00');
    expect(formatMoney(500, 'JPY')).toBe('¥500');
  });

  it('gives today in the tenant’s zone, not the browser’s', () => {
    const now = new Date('2026-12-05T23:30:00Z');
    expect(dateInZone('Africa/Accra', 0, now)).toBe('2026-12-05');
    expect(dateInZone('Asia/Tokyo', 0, now)).toBe('2026-12-06');
    expect(dateInZone('America/New_York', -1, now)).toBe('2026-12-04');
  });
});
