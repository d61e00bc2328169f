import { NotFoundError, type UssdSettings, ussdServiceCodeSchema } from '@laas/core';
import { z } from 'zod';
import { handleUssdCallback } from '../channels/ussd/callback.js';
import { USSD_GATEWAYS } from '../channels/ussd/gateways.js';
import { USSD_STRING_KEYS } from '../channels/ussd/strings.js';
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
});

export const ussdSettingsSchema = z
  .object({
    tenant_id: z.string(),
    service_code: z.string(),
    language: z.string(),
    strings: z.record(z.string(), z.string()),
    allow_join: z.boolean(),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .meta({ id: 'UssdSettings' });

/**
 * The USSD channel (docs/ussd.md): a tenant's settings, and the gateway's callback. The callback
 * is public like the gateway's own (restrict it by IP at the proxy), reads its form body itself,
 * and always answers `text/plain` `CON ...` / `END ...`: gateways show whatever comes back to the
 * customer, so an error is an `END` sentence, never a JSON body.
 */
export const ussdRoutes: RouteSpec[] = [
  route({
    operationId: 'putUssdSettings',
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
      const stored = await engine.transaction(tenantId, async (tx) => {
        const existing = await tx.ussd.getSettings();
        const now = new Date().toISOString();
        const next: UssdSettings = {
          tenant_id: tenantId,
          service_code: body.service_code,
          language: body.language,
          strings: { ...body.strings } as Record<string, string>,
          allow_join: body.allow_join,
          created_at: existing?.created_at ?? now,
          updated_at: now,
        };
        await tx.ussd.putSettings(next);
        return next;
      });
      return ok(stored);
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
      return ok(settings);
    },
  }),
  route({
    operationId: 'deleteUssdSettings',
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
    path: '/public/ussd/callback',
    tag,
    summary: 'The USSD gateway’s callback: form fields in, `CON ...` / `END ...` text out',
    description:
      'Form-encoded (`application/x-www-form-urlencoded`). Africa’s Talking by default: `sessionId, ' +
      'serviceCode, phoneNumber, networkCode, text`; `?gateway=msisdn` reads `session_id, service_code, ' +
      `msisdn, ussd_string\` instead (gateways: ${USSD_GATEWAYS.map((g) => g.name).join(', ')}). The tenant is ` +
      'the one whose settings hold `serviceCode`. Always 200 text/plain: errors are `END` sentences.',
    permission: 'public',
    response: { status: 200, description: 'A `CON` menu or an `END` message', contentType: 'text/plain' },
    handler: async ({ deps, engine, hono }) => {
      const raw = await hono.req.text();
      const reply = await handleUssdCallback(
        { engine, logger: deps.logger, platform: deps.store.platform },
        hono.req.query('gateway'),
        raw,
      );
      return new Response(reply.body, { status: 200, headers: reply.headers });
    },
  }),
];
