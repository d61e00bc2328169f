/**
 * The platform's shared channels as the API takes them and shows them (secrets never shown), and
 * as they are stored (`platform.putSharedChannel`, secrets sealed with `LAAS_SECRET_KEY`).
 */
import { createHash, type KeyObject } from 'node:crypto';
import { MERCHANT_CODE_PATTERN, ValidationError } from '@laas/core';
import { z } from 'zod';
import { open, seal } from '../whatsapp/secret-box.js';

/** The body of `PUT /v1/platform/channels/whatsapp`. */
export const putSharedWhatsAppSchema = z
  .strictObject({
    phone_number_id: z.string().regex(/^\d{5,32}$/, { message: "must be Meta's phone number id (digits)" }),
    display_phone_number: z
      .string()
      .transform((s) => s.replace(/[\s()+-]/g, ''))
      .pipe(z.string().regex(/^\d{7,15}$/, { message: 'must be the number in international form' })),
    access_token: z.string().min(20).max(1024).optional().meta({
      description: 'Stored encrypted, never shown again; leave out to keep the stored one',
    }),
    app_secret: z.string().min(8).max(256).optional().meta({
      description: 'Stored encrypted, never shown again; leave out to keep the stored one',
    }),
    verify_token: z
      .string()
      .min(8)
      .max(256)
      .regex(/^[\x21-\x7e]+$/, { message: 'printable ASCII without spaces' }),
    language: z
      .string()
      .regex(/^[a-z]{2,3}(?:[-_][A-Za-z0-9]{2,8})*$/)
      .default('en'),
  })
  .meta({ id: 'PutSharedWhatsApp' });

/** What is stored (the `config` of the `whatsapp` shared channel). */
export interface SharedWhatsAppConfig {
  phone_number_id: string;
  display_phone_number: string;
  access_token_encrypted: string;
  app_secret_encrypted: string;
  verify_token: string;
  language: string;
}

export const sharedWhatsAppViewSchema = z
  .object({
    phone_number_id: z.string(),
    display_phone_number: z.string(),
    access_token_set: z.boolean(),
    app_secret_set: z.boolean(),
    verify_token: z.string(),
    language: z.string(),
    webhook_path: z.string(),
    updated_at: z.string(),
  })
  .meta({ id: 'SharedWhatsApp' });

const purpose = (field: 'access_token' | 'app_secret') => `laas.shared.whatsapp.${field}`;

export function sealSharedWhatsApp(
  key: KeyObject,
  input: z.output<typeof putSharedWhatsAppSchema>,
  existing: SharedWhatsAppConfig | null,
): SharedWhatsAppConfig {
  const missing = (['access_token', 'app_secret'] as const).filter(
    (f) => input[f] === undefined && existing === null,
  );
  if (missing.length > 0) {
    throw new ValidationError(
      `Invalid request body: ${missing[0]}: required when the shared number is first set up`,
      missing.map((path) => ({ path, message: 'required when the shared number is first set up' })),
    );
  }
  const sealed = (field: 'access_token' | 'app_secret', stored: string | undefined) => {
    const value = input[field];
    return value === undefined ? (stored as string) : seal(key, value, purpose(field));
  };
  return {
    phone_number_id: input.phone_number_id,
    display_phone_number: input.display_phone_number,
    access_token_encrypted: sealed('access_token', existing?.access_token_encrypted),
    app_secret_encrypted: sealed('app_secret', existing?.app_secret_encrypted),
    verify_token: input.verify_token,
    language: input.language,
  };
}

export function openShared(
  key: KeyObject,
  config: SharedWhatsAppConfig,
  field: 'access_token' | 'app_secret',
) {
  return open(
    key,
    field === 'access_token' ? config.access_token_encrypted : config.app_secret_encrypted,
    purpose(field),
  );
}

export function sharedWhatsAppView(config: SharedWhatsAppConfig, updatedAt: string) {
  return {
    phone_number_id: config.phone_number_id,
    display_phone_number: config.display_phone_number,
    access_token_set: config.access_token_encrypted !== '',
    app_secret_set: config.app_secret_encrypted !== '',
    verify_token: config.verify_token,
    language: config.language,
    webhook_path: '/public/wa/webhook',
    updated_at: updatedAt,
  };
}

/** The body of `PUT /v1/platform/channels/ussd`. */
export const putSharedUssdSchema = z
  .strictObject({
    service_code: z.string().regex(/^[*#0-9]{2,32}$/, { message: 'a USSD code such as *384*123#' }),
    callback_secret: z
      .string()
      .min(16)
      .max(256)
      .regex(/^[A-Za-z0-9_-]+$/)
      .meta({
        description:
          'The secret in the gateway’s callback URL, /public/ussd/shared/{callback_secret}; stored hashed, never shown',
      }),
  })
  .meta({ id: 'PutSharedUssd' });

/** What is stored (the `config` of the `ussd` shared channel). */
export interface SharedUssdConfig {
  service_code: string;
  callback_secret_hash: string;
}

export const sharedUssdViewSchema = z
  .object({ service_code: z.string(), callback_path: z.string(), updated_at: z.string() })
  .meta({ id: 'SharedUssd' });

export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

/** The body of `PUT /v1/tenants/{tid}/shared-channels`. */
export const putSharedMerchantSchema = z
  .strictObject({
    code: z
      .string()
      .trim()
      .transform((s) => s.toUpperCase())
      .pipe(z.string().regex(MERCHANT_CODE_PATTERN, { message: '3 to 12 letters A-Z or digits' }))
      .meta({ description: 'The merchant code customers type (JOIN KOFI); unique across the platform' }),
    whatsapp: z.boolean().default(false).meta({ description: 'Opt in to the shared WhatsApp number' }),
    ussd: z.boolean().default(false).meta({ description: 'Opt in to the shared USSD code' }),
  })
  .meta({ id: 'PutSharedMerchant' });

export const sharedMerchantSchema = z
  .object({
    tenant_id: z.string(),
    code: z.string(),
    whatsapp: z.boolean(),
    ussd: z.boolean(),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .meta({ id: 'SharedMerchant' });
