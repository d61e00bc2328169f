import { z } from 'zod';

/** Letters and digits a person cannot mistake for one another: no 0/O, 1/I/L. */
export const SAFE_CODE_ALPHABET = 'ABCDEFGHJKMNPQRSTUVWXYZ23456789';
export const DIGIT_CODE_ALPHABET = '0123456789';
export const MAX_GENERATED_CODES = 100_000;

export const generateCodesSchema = z.strictObject({
  count: z.number().int().min(1).max(MAX_GENERATED_CODES),
  /** Characters after the prefix. */
  length: z.number().int().min(6).max(32),
  prefix: z
    .string()
    .regex(/^[A-Z0-9-]{1,16}$/, { message: 'must be 1 to 16 of A-Z, 0-9 and "-"' })
    .optional(),
  charset: z.enum(['safe', 'digits']).default('safe'),
});
export type GenerateCodesInput = z.input<typeof generateCodesSchema>;

/** What `rewards.generateCodes` answers: how many codes were added, and the codes. */
export interface GeneratedCodes {
  added: number;
  codes: string[];
}

/** Why a code would not redeem now. */
export const CODE_REFUSALS = [
  'not_found',
  'not_issued_yet',
  'reserved',
  'redeemed',
  'expired',
  'cancelled',
  'customer_blocked',
  'not_redeemable',
] as const;
export type CodeRefusal = (typeof CODE_REFUSALS)[number];

/** What validating a code answers (the same shape on every store); nothing is changed. */
export interface CodeValidation {
  code: string;
  /** True when `redeem({ code })` would succeed now. */
  redeemable: boolean;
  /** Why not; null when redeemable. */
  reason: CodeRefusal | null;
  issuance_id: string | null;
  customer_id: string | null;
  reward: { id: string; name: string; type: string; value: number } | null;
  /** The issuance's state; null when no issuance holds the code. */
  state: string | null;
  expires_at: string | null;
}
