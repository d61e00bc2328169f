import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { NotFoundError, type UssdSettings, ussdServiceCodeSchema } from '@laas/core';
import { z } from 'zod';
import { audited } from '../audit.js';
import { handleUssdCallback } from '../channels/ussd/callback.js';
import { USSD_GATEWAYS } from '../channels/ussd/gateways.js';
import { USSD_STRING_KEYS } from '../channels/ussd/strings.js';
import { addressAllowed, clientAddress, isCidr, toCidr } from '../client-address.js';
import { httpError } from '../errors.js';
import { noContent, ok, type RouteSpec, route, T } from './define.js';

const tag = 'ussd';

/** `PUT /v1/tenants/:tid/ussd`. */
export const putUssdSettingsSchema = z.strictObject({
  service_code: ussdServiceCodeSchema.meta({ description: 'The code customers dial, e.g. "*384*123#"' }),
  language: z
    .string()
    .trim()
    .regex(/^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$/, { message: 'must be a BCP-47 language tag such as "en"' })
    .default('en'),
  strings: z
    .partialRecord(z.enum(USSD_STRING_KEYS), z.string().trim().min(1).max(160))
    .default({})
    .meta({ description: 'Overrides of menu texts by key (docs/ussd.md lists the keys and placeholders)' }),
  allow_join: z
    .boolean()
    .default(false)
    .meta({ description: 'Whether a phone that is not a customer may join from the menu' }),
  allowed_ips: z
    .array(
      z
        .string()
        .trim()
        .refine(isCidr, { message: 'must be an IP address or a CIDR such as "196.201.214.0/24"' }),
    )
    .max(50)
    .default([])
    .meta({ description: 'The gateway’s addresses (CIDRs); empty: any address may call the callback URL' }),
});

export const ussdSettingsSchema = z
  .object({
    tenant_id: z.string(),
    service_code: z.string(),
    language: z.string(),
    strings: z.record(z.string(), z.string()),
    allow_join: z.boolean(),
    allowed_ips: z.array(z.string()),
    callback_secret_set: z
      .boolean()
      .meta({ description: 'False for settings saved before callback secrets: rotate to get one' }),
    callback_secret: z.string().optional().meta({
      description:
        'Shown once (first save, rotation): the gateway’s callback URL is /public/ussd/callback/{callback_secret}',
    }),
    callback_path: z
      .string()
      .optional()
      .meta({ description: 'The callback path with its secret (shown once)' }),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .meta({ id: 'UssdSettings' });

/** A new callback secret and what is stored of it. */
function newCallbackSecret(): { secret: string; hash: string } {
  const secret = `ussd_${randomBytes(24).toString('base64url')}`;
  return { secret, hash: hashCallbackSecret(secret) };
}

export function hashCallbackSecret(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

/** The settings as answered: never the hash; the secret only when it was just made. */
function present(settings: UssdSettings, secret?: string) {
  const { callback_secret_hash, ...rest } = settings;
  return {
    ...rest,
    callback_secret_set: callback_secret_hash !== null,
    ...(secret === undefined
      ? {}
      : { callback_secret: secret, callback_path: `/public/ussd/callback/${secret}` }),
  };
}

/**
 * The USSD channel (docs/ussd.md): a tenant's settings, and the gateway's callback. The callback
 * is public like the gateway's own (restrict it by IP at the proxy), reads its form body itself,
 * and always answers `text/plain` `CON ...` / `END ...`: gateways show whatever comes back to the
 * customer, so an error is an `END` sentence, never a JSON body.
 */
export const ussdRoutes: RouteSpec[] = [
  route({
    operationId: 'putUssdSettings',
    audit: audited('ussd_settings.put', 'ussd_settings', 'tenant'),
    method: 'put',
    path: `${T}/ussd`,
    tag,
    summary: 'Connect (or reconfigure) the tenant’s USSD service code and menus',
    description: '`service_code` is unique across tenants (409 when another tenant has it).',
    permission: 'tenant:write',
    body: putUssdSettingsSchema,
    errors: [409],
    response: { status: 200, description: 'The settings', schema: ussdSettingsSchema },
    handler: async ({ engine, tenantId, body }) => {
      const { stored, secret } = await engine.transaction(tenantId, async (tx) => {
        const existing = await tx.ussd.getSettings();
        const now = new Date().toISOString();
        // The first save makes the callback secret; later saves keep it (rotate to change it).
        const made = existing?.callback_secret_hash ? undefined : newCallbackSecret();
        const next: UssdSettings = {
          tenant_id: tenantId,
          service_code: body.service_code,
          language: body.language,
          strings: { ...body.strings } as Record<string, string>,
          allow_join: body.allow_join,
          callback_secret_hash: made?.hash ?? existing?.callback_secret_hash ?? null,
          allowed_ips: body.allowed_ips.map(toCidr),
          created_at: existing?.created_at ?? now,
          updated_at: now,
        };
        await tx.ussd.putSettings(next);
        return { stored: next, secret: made?.secret };
      });
      return ok(present(stored, secret));
    },
  }),
  route({
    operationId: 'getUssdSettings',
    method: 'get',
    path: `${T}/ussd`,
    tag,
    summary: 'The tenant’s USSD settings',
    permission: 'setup:read',
    response: { status: 200, description: 'The settings', schema: ussdSettingsSchema },
    handler: async ({ engine, tenantId }) => {
      const settings = await engine.transaction(tenantId, (tx) => tx.ussd.getSettings());
      if (settings === null) throw new NotFoundError('USSD settings', tenantId);
      return ok(present(settings));
    },
  }),
  route({
    operationId: 'rotateUssdCallbackSecret',
    audit: audited('ussd_settings.rotate_secret', 'ussd_settings', 'tenant'),
    method: 'post',
    path: `${T}/ussd/rotate-secret`,
    tag,
    summary: 'A new callback secret (in this answer only); the old URL stops working at once',
    permission: 'tenant:write',
    response: { status: 200, description: 'The settings with the new secret', schema: ussdSettingsSchema },
    handler: async ({ engine, tenantId }) => {
      const { stored, secret } = await engine.transaction(tenantId, async (tx) => {
        const existing = await tx.ussd.getSettings();
        if (existing === null) throw new NotFoundError('USSD settings', tenantId);
        const made = newCallbackSecret();
        const next = { ...existing, callback_secret_hash: made.hash, updated_at: new Date().toISOString() };
        await tx.ussd.putSettings(next);
        return { stored: next, secret: made.secret };
      });
      return ok(present(stored, secret));
    },
  }),
  route({
    operationId: 'deleteUssdSettings',
    audit: audited('ussd_settings.delete', 'ussd_settings', 'tenant'),
    method: 'delete',
    path: `${T}/ussd`,
    tag,
    summary: 'Disconnect USSD (the service code is free again)',
    permission: 'tenant:write',
    response: { status: 204, description: 'Disconnected' },
    handler: async ({ engine, tenantId }) => {
      const deleted = await engine.transaction(tenantId, (tx) => tx.ussd.deleteSettings());
      if (!deleted) throw new NotFoundError('USSD settings', tenantId);
      return noContent();
    },
  }),
  route({
    operationId: 'ussdCallback',
    method: 'post',
    path: '/public/ussd/callback/:secret',
    tag,
    summary: 'The USSD gateway’s callback: form fields in, `CON ...` / `END ...` text out',
    description:
      'Form-encoded (`application/x-www-form-urlencoded`). Africa’s Talking by default: `sessionId, ' +
      'serviceCode, phoneNumber, networkCode, text`; `?gateway=msisdn` reads `session_id, service_code, ' +
      `msisdn, ussd_string\` instead (gateways: ${USSD_GATEWAYS.map((g) => g.name).join(', ')}). The tenant is ` +
      'the one whose settings hold `serviceCode`, and `{secret}` must be that tenant’s callback secret (and the ' +
      'caller within its `allowed_ips`), else 404 and nothing is recorded. Otherwise always 200 text/plain: errors ' +
      'are `END` sentences.',
    permission: 'public',
    response: { status: 200, description: 'A `CON` menu or an `END` message', contentType: 'text/plain' },
    handler: async ({ deps, engine, hono, params }) => {
      const raw = await hono.req.text();
      const secretHash = hashCallbackSecret(params.secret ?? '');
      const from = clientAddress(hono, deps.config.trustProxy);
      const reply = await handleUssdCallback(
        {
          engine,
          logger: deps.logger,
          platform: deps.store.platform,
          // The secret names the tenant's URL; the allow-list, where set, its gateway's addresses.
          authorize: (settings) =>
            settings.callback_secret_hash !== null &&
            safeEqual(settings.callback_secret_hash, secretHash) &&
            addressAllowed(from, settings.allowed_ips),
        },
        hono.req.query('gateway'),
        raw,
      );
      if (reply === null) throw httpError('NOT_FOUND', `No route ${hono.req.method} /public/ussd/callback/…`);
      return new Response(reply.body, { status: 200, headers: reply.headers });
    },
  }),
];

/** Compares two hex digests of equal length in constant time. */
function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length === y.length && timingSafeEqual(x, y);
}
