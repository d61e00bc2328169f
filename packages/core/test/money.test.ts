import { describe, expect, it } from 'vitest';
import { formatAmount, formatMoney, formatPoints, minorUnitDigits } from '../src/index.js';

// Intl separates a currency code from the number with a no-break space.
const NBSP = '\u00a0';

describe('money', () => {
  it('knows each currency’s minor-unit digits', () => {
    expect(minorUnitDigits('USD')).toBe(2);
    expect(minorUnitDigits('GHS')).toBe(2);
    expect(minorUnitDigits('JPY')).toBe(0);
    expect(minorUnitDigits('KWD')).toBe(3);
  });

  it('shows minor units as money in the currency', () => {
    expect(formatMoney(4000, 'USD')).toBe('$40.00');
    expect(formatMoney(5000, 'GHS')).toBe(`GHS${NBSP}50.00`);
    expect(formatMoney(500, 'JPY')).toBe('¥500');
    expect(formatMoney(1234, 'KWD')).toBe(`KWD${NBSP}1.234`);
    expect(formatMoney(123456789, 'USD')).toBe('$1,234,567.89');
    expect(formatMoney(0, 'USD')).toBe('$0.00');
    expect(formatMoney(4000, 'EUR', 'de')).toBe(`40,00${NBSP}€`);
  });

  it('shows points as points', () => {
    expect(formatPoints(1234)).toBe('1,234 points');
    expect(formatPoints(1)).toBe('1 point');
    expect(formatPoints(0)).toBe('0 points');
  });

  it('formats an amount in a budget unit: a currency code or points', () => {
    expect(formatAmount(4000, 'USD')).toBe('$40.00');
    expect(formatAmount(12000, 'points')).toBe('12,000 points');
  });
});
