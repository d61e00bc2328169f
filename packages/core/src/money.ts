/**
 * The one place amounts become text. Money is stored in a currency's minor units (cents, pesewas;
 * a yen has none, a Kuwaiti dinar has 1,000 fils), so showing it means dividing by the currency's
 * own exponent, which Intl knows (ISO 4217); points are whole and shown as points.
 */

const formatters = new Map<string, Intl.NumberFormat>();

function currencyFormat(currency: string, locale: string): Intl.NumberFormat {
  const key = `${locale}\u0000${currency}`;
  let f = formatters.get(key);
  if (f === undefined) {
    f = new Intl.NumberFormat(locale, { style: 'currency', currency });
    formatters.set(key, f);
  }
  return f;
}

/** Digits after the decimal point of `currency` (USD 2, JPY 0, KWD 3): its minor-unit exponent. */
export function minorUnitDigits(currency: string): number {
  return currencyFormat(currency, 'en').resolvedOptions().maximumFractionDigits ?? 2;
}

/** `minor` units of `currency` as money: `formatMoney(4000, 'USD')` is `$40.00`. */
export function formatMoney(minor: number, currency: string, locale = 'en'): string {
  return currencyFormat(currency, locale).format(minor / 10 ** minorUnitDigits(currency));
}

/** `formatPoints(1234)` is `1,234 points` (fractions, as in averages, to one digit). */
export function formatPoints(points: number, locale = 'en'): string {
  const n = points.toLocaleString(locale, { maximumFractionDigits: 1 });
  return `${n} ${points === 1 ? 'point' : 'points'}`;
}

/** True when `unit` is a currency code (`USD`) rather than `points`. */
export function isCurrency(unit: string): boolean {
  return /^[A-Z]{3}$/.test(unit);
}

/** An amount in a budget's `unit`: money for a currency code, else points. */
export function formatAmount(amount: number, unit: string, locale = 'en'): string {
  return isCurrency(unit) ? formatMoney(amount, unit, locale) : formatPoints(amount, locale);
}
