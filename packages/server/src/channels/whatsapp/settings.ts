/**
 * A tenant's WhatsApp settings as the API takes them (secrets in clear, once) and shows them
 * (secrets never: `access_token_set: true`), and the sealing of the secrets with
 * `LAAS_SECRET_KEY`.
 */
import type { KeyObject } from 'node:crypto';
import { LaasError, ValidationError, type WhatsAppSettings } from '@laas/core';
import { z } from 'zod';
import { open, seal } from './secret-box.js';
import { STRING_KEYS } from './strings.js';

const stringsSchema = z.record(z.string(), z.string().min(1).max(1024)).superRefine((strings, ctx) => {
  for (const key of Object.keys(strings)) {
    if (!(STRING_KEYS as readonly string[]).includes(key)) {
      ctx.addIssue({
        code: 'custom',
        path: [key],
        message: `unknown message key; the keys are: ${STRING_KEYS.join(', ')}`,
      });
    }
  }
});

/** The body of `PUT /v1/tenants/:tid/whatsapp`. */
export const putWhatsAppSettingsSchema = z
  .strictObject({
    phone_number_id: z
      .string()
      .regex(/^\d{5,32}$/, { message: "must be Meta's phone number id (digits)" })
      .meta({ description: 'The phone number id of the business number (WhatsApp > API Setup)' }),
    display_phone_number: z
      .string()
      .transform((s) => s.replace(/[\s()+-]/g, ''))
      .pipe(
        z
          .string()
          .regex(/^\d{7,15}$/, { message: 'must be the number in international form, e.g. 15550001111' }),
      )
      .meta({ description: 'The business number in international form (for wa.me links)' }),
    access_token: z.string().min(20).max(1024).optional().meta({
      description:
        'A permanent (system user) access token; stored encrypted, never shown again. May be left out to keep the stored one',
    }),
    app_secret: z.string().min(8).max(256).optional().meta({
      description:
        "The Meta app's secret; stored encrypted, never shown again. May be left out to keep the stored one",
    }),
    verify_token: z
      .string()
      .min(8)
      .max(256)
      .regex(/^[\x21-\x7e]+$/, { message: 'printable ASCII without spaces' })
      .meta({ description: 'The verify token typed in the webhook set-up; unique across tenants' }),
    enrollment_code: z
      .string()
      .trim()
      .regex(/^[A-Za-z0-9][A-Za-z0-9_-]{1,31}$/, { message: '2 to 32 letters, digits, - or _' })
      .meta({ description: 'What customers send after JOIN (case-insensitive)' }),
    language: z
      .string()
      .regex(/^[a-z]{2,3}(?:[-_][A-Za-z0-9]{2,8})*$/)
      .default('en'),
    strings: stringsSchema.default({}),
    template_name: z
      .string()
      .regex(/^[a-z0-9_]{1,512}$/, { message: 'a template name: lower case letters, digits and _' })
      .nullable()
      .default(null)
      .meta({ description: 'Approved template for reward notifications outside the 24-hour window' }),
    template_language: z.string().min(2).max(16).nullable().default(null),
  })
  .meta({ id: 'PutWhatsAppSettings' });

export type PutWhatsAppSettings = z.output<typeof putWhatsAppSettingsSchema>;

/** The settings as the API shows them: every field but the secrets. */
export const whatsAppSettingsViewSchema = z
  .object({
    tenant_id: z.string(),
    phone_number_id: z.string(),
    display_phone_number: z.string(),
    access_token_set: z.boolean(),
    app_secret_set: z.boolean(),
    verify_token: z.string(),
    enrollment_code: z.string(),
    language: z.string(),
    strings: z.record(z.string(), z.string()),
    template_name: z.string().nullable(),
    template_language: z.string().nullable(),
    webhook_path: z.string(),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .meta({ id: 'WhatsAppSettings' });

export function settingsView(settings: WhatsAppSettings) {
  return {
    tenant_id: settings.tenant_id,
    phone_number_id: settings.phone_number_id,
    display_phone_number: settings.display_phone_number,
    access_token_set: settings.access_token_encrypted !== '',
    app_secret_set: settings.app_secret_encrypted !== '',
    verify_token: settings.verify_token,
    enrollment_code: settings.enrollment_code,
    language: settings.language,
    strings: settings.strings,
    template_name: settings.template_name,
    template_language: settings.template_language,
    webhook_path: '/public/wa/webhook',
    created_at: settings.created_at,
    updated_at: settings.updated_at,
  };
}

type SecretField = 'access_token' | 'app_secret';
const purpose = (tenantId: string, field: SecretField) => `laas.whatsapp.${field}:${tenantId}`;

/**
 * The key, or the refusal of an operation that needs it. STATE_CONFLICT (409) rather than
 * VALIDATION_ERROR: the request is right and would succeed unchanged once the server has a key;
 * VALIDATION_ERROR would tell the caller to fix a body it cannot fix.
 */
export function requireKey(key: KeyObject | undefined): KeyObject {
  if (key !== undefined) return key;
  throw new LaasError(
    'STATE_CONFLICT',
    'This server has no LAAS_SECRET_KEY, which encrypts the WhatsApp access token and app secret: ' +
      'set it (32 bytes as 64 hex characters, e.g. `openssl rand -hex 32`) and restart the server',
    { missing: 'LAAS_SECRET_KEY' },
  );
}

/**
 * The stored form of a PUT body: secrets sealed (a secret left out keeps the stored one; on a
 * first PUT both are required).
 */
export function toStored(
  key: KeyObject,
  tenantId: string,
  input: PutWhatsAppSettings,
  existing: WhatsAppSettings | null,
  now: string,
): WhatsAppSettings {
  const missing = (['access_token', 'app_secret'] as const).filter(
    (f) => input[f] === undefined && existing === null,
  );
  if (missing.length > 0) {
    throw new ValidationError(
      `Invalid request body: ${missing[0]}: required when WhatsApp is first set up`,
      missing.map((path) => ({ path, message: 'required when WhatsApp is first set up' })),
    );
  }
  const sealed = (field: SecretField, stored: string | undefined): string => {
    const value = input[field];
    return value === undefined ? (stored as string) : seal(key, value, purpose(tenantId, field));
  };
  return {
    tenant_id: tenantId,
    phone_number_id: input.phone_number_id,
    display_phone_number: input.display_phone_number,
    access_token_encrypted: sealed('access_token', existing?.access_token_encrypted),
    app_secret_encrypted: sealed('app_secret', existing?.app_secret_encrypted),
    verify_token: input.verify_token,
    enrollment_code: input.enrollment_code,
    language: input.language,
    strings: input.strings,
    template_name: input.template_name,
    template_language: input.template_name === null ? null : (input.template_language ?? input.language),
    created_at: existing?.created_at ?? now,
    updated_at: now,
  };
}

/** A stored secret in clear (throws when the key cannot open it). */
export function openSecret(key: KeyObject, settings: WhatsAppSettings, field: SecretField): string {
  const envelope = field === 'access_token' ? settings.access_token_encrypted : settings.app_secret_encrypted;
  return open(key, envelope, purpose(settings.tenant_id, field));
}
