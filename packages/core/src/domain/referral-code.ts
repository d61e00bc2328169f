import { randomInt } from 'node:crypto';
import { z } from 'zod';

/**
 * The characters of a referral code: digits and upper-case letters without the look-alikes
 * `0 O 1 I L` (and `U`, which reads as `V` in many hands), so a code read aloud or copied from a
 * receipt cannot be mistyped into another customer's.
 */
export const REFERRAL_CODE_ALPHABET = '23456789ABCDEFGHJKMNPQRSTVWXYZ';

/** Length of a generated code: 30^8 ≈ 6.6 × 10^11 codes, so a random one rarely collides in a tenant. */
export const REFERRAL_CODE_LENGTH = 8;

/** A new random referral code (cryptographic randomness: codes must not be guessable in sequence). */
export function newReferralCode(): string {
  let code = '';
  for (let i = 0; i < REFERRAL_CODE_LENGTH; i++) {
    code += REFERRAL_CODE_ALPHABET[randomInt(REFERRAL_CODE_ALPHABET.length)];
  }
  return code;
}

/**
 * A referral code as a customer types it: trimmed, any case, spaces and dashes ignored
 * (`abcd-2345` is `ABCD2345`). Whether such a code exists is the engine's question, not the schema's.
 */
export const referralCodeSchema = z
  .string()
  .transform((s) => s.replace(/[\s-]/g, '').toUpperCase())
  .pipe(
    z.string().regex(/^[A-Z0-9]{4,16}$/, {
      message: 'must be a referral code of 4 to 16 letters and digits, such as "K7XM2PQA"',
    }),
  );
