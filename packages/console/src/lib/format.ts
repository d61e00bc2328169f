import { formatAmount, formatMoney, formatPoints, minorUnitDigits } from '@laas/core/money';

export { formatAmount, formatMoney, formatPoints, minorUnitDigits };

/**
 * What a merchant types ("2.50", "2,50" is refused) as the currency's minor units (250), or null
 * when it is not an amount with at most the currency's digits (JPY none, KWD three).
 */
export function parseMoney(text: string, currency: string): number | null {
  const digits = minorUnitDigits(currency);
  const match = /^\s*(\d{1,12})(?:\.(\d*))?\s*$/.exec(text);
  if (match === null) return null;
  const fraction = match[2] ?? '';
  if (fraction.length > digits) return null;
  return Number(match[1]) * 10 ** digits + Number(fraction.padEnd(digits, '0') || '0');
}

/** Minor units as the text of an input (250 GHS is "2.50"), the inverse of parseMoney. */
export function moneyInput(minor: number, currency: string): string {
  const digits = minorUnitDigits(currency);
  return digits === 0 ? String(minor) : (minor / 10 ** digits).toFixed(digits);
}

/** An instant in the tenant's time zone: "5 Dec 2026, 14:05". */
export function formatTime(iso: string | null | undefined, timeZone: string): string {
  if (iso === null || iso === undefined) return '—';
  return new Intl.DateTimeFormat('en-GB', { dateStyle: 'medium', timeStyle: 'short', timeZone }).format(
    new Date(iso),
  );
}

/** Today's date (YYYY-MM-DD) in `timeZone`, shifted by `days`. */
export function dateInZone(timeZone: string, days = 0, now = new Date()): string {
  const shifted = new Date(now.getTime() + days * 86_400_000);
  // en-CA formats as YYYY-MM-DD.
  return new Intl.DateTimeFormat('en-CA', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  }).format(shifted);
}
