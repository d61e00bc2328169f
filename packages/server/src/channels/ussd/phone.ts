/**
 * A gateway's phone number in E.164 (`+263771234567`), the form customers are stored and found by.
 * Gateways send `+263771234567`, `263771234567` or `00263771234567`; spaces, dashes and brackets
 * are ignored. Null for anything that is not an international number (a national `0771...` cannot
 * be placed in a country, so it is refused rather than guessed).
 */
export function toE164(raw: string): string | null {
  let digits = raw.trim().replace(/[\s().-]/g, '');
  if (digits.startsWith('+')) digits = digits.slice(1);
  else if (digits.startsWith('00')) digits = digits.slice(2);
  return /^[1-9][0-9]{6,14}$/.test(digits) ? `+${digits}` : null;
}
