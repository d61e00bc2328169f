/**
 * The shared channels (docs/shared-channels.md): the platform's shared WhatsApp number and USSD
 * code (platform admin token only), a tenant's merchant code and opt-ins, and the shared USSD
 * code's callback.
 */
import { NotFoundError, type SharedMerchant } from '@laas/core';
import { audited } from '../audit.js';
import {
  hashSecret,
  putSharedMerchantSchema,
  putSharedUssdSchema,
  putSharedWhatsAppSchema,
  type SharedUssdConfig,
  type SharedWhatsAppConfig,
  sealSharedWhatsApp,
  sharedMerchantSchema,
  sharedUssdViewSchema,
  sharedWhatsAppView,
  sharedWhatsAppViewSchema,
} from '../channels/shared/config.js';
import { handleSharedUssd } from '../channels/shared/ussd.js';
import { requireKey } from '../channels/whatsapp/settings.js';
import { httpError } from '../errors.js';
import { noContent, ok, type RouteSpec, route, T } from './define.js';

const tag = 'shared channels';

export const sharedChannelRoutes: RouteSpec[] = [
  route({
    operationId: 'putSharedWhatsApp',
    method: 'put',
    path: '/v1/platform/channels/whatsapp',
    tag,
    summary: 'Set up the shared WhatsApp number (platform admin token only); secrets stored encrypted',
    description:
      'Needs `LAAS_SECRET_KEY` (else 409). `access_token` and `app_secret` are never shown again; leave them ' +
      'out on a later PUT to keep them. Merchants opt in with PUT /v1/tenants/{tid}/shared-channels.',
    permission: 'platform',
    body: putSharedWhatsAppSchema,
    errors: [409],
    response: {
      status: 200,
      description: 'The shared number, without secrets',
      schema: sharedWhatsAppViewSchema,
    },
    handler: async ({ deps, body }) => {
      const key = requireKey(deps.config.secretKey);
      const existing = await deps.store.platform.getSharedChannel('whatsapp');
      const config = sealSharedWhatsApp(
        key,
        body,
        (existing?.config as SharedWhatsAppConfig | undefined) ?? null,
      );
      const now = new Date().toISOString();
      await deps.store.platform.putSharedChannel({
        channel: 'whatsapp',
        config: config as unknown as Record<string, unknown>,
        updated_at: now,
      });
      return ok(sharedWhatsAppView(config, now));
    },
  }),
  route({
    operationId: 'getSharedWhatsApp',
    method: 'get',
    path: '/v1/platform/channels/whatsapp',
    tag,
    summary: 'The shared WhatsApp number (never the secrets; platform admin token only)',
    permission: 'platform',
    response: {
      status: 200,
      description: 'The shared number, without secrets',
      schema: sharedWhatsAppViewSchema,
    },
    handler: async ({ deps }) => {
      const row = await deps.store.platform.getSharedChannel('whatsapp');
      if (row === null) throw new NotFoundError('shared WhatsApp number', 'whatsapp');
      return ok(sharedWhatsAppView(row.config as unknown as SharedWhatsAppConfig, row.updated_at));
    },
  }),
  route({
    operationId: 'putSharedUssd',
    method: 'put',
    path: '/v1/platform/channels/ussd',
    tag,
    summary: 'Set up the shared USSD code and its callback secret (platform admin token only)',
    description:
      'The gateway’s callback URL is /public/ussd/shared/{callback_secret}; the secret is stored hashed and ' +
      'never shown.',
    permission: 'platform',
    body: putSharedUssdSchema,
    response: { status: 200, description: 'The shared code', schema: sharedUssdViewSchema },
    handler: async ({ deps, body }) => {
      const now = new Date().toISOString();
      const config: SharedUssdConfig = {
        service_code: body.service_code,
        callback_secret_hash: hashSecret(body.callback_secret),
      };
      await deps.store.platform.putSharedChannel({
        channel: 'ussd',
        config: config as unknown as Record<string, unknown>,
        updated_at: now,
      });
      return ok({
        service_code: config.service_code,
        callback_path: '/public/ussd/shared/{callback_secret}',
        updated_at: now,
      });
    },
  }),
  route({
    operationId: 'getSharedUssd',
    method: 'get',
    path: '/v1/platform/channels/ussd',
    tag,
    summary: 'The shared USSD code (never the secret; platform admin token only)',
    permission: 'platform',
    response: { status: 200, description: 'The shared code', schema: sharedUssdViewSchema },
    handler: async ({ deps }) => {
      const row = await deps.store.platform.getSharedChannel('ussd');
      if (row === null) throw new NotFoundError('shared USSD code', 'ussd');
      const config = row.config as unknown as SharedUssdConfig;
      return ok({
        service_code: config.service_code,
        callback_path: '/public/ussd/shared/{callback_secret}',
        updated_at: row.updated_at,
      });
    },
  }),
  route({
    operationId: 'putSharedMerchant',
    method: 'put',
    path: `${T}/shared-channels`,
    tag,
    summary:
      'Set the tenant’s merchant code and opt in to (or out of) the shared WhatsApp number and USSD code',
    description: 'The code is unique across the platform (409 when another tenant holds it).',
    permission: 'tenant:write',
    audit: audited('shared_merchant.put', 'shared_merchant', 'tenant'),
    body: putSharedMerchantSchema,
    errors: [409],
    response: { status: 200, description: 'The merchant code and opt-ins', schema: sharedMerchantSchema },
    handler: async ({ engine, tenantId, body }) => {
      const stored = await engine.transaction(tenantId, async (tx) => {
        const existing = await tx.sharedChannels.getMerchant();
        const now = new Date().toISOString();
        const next: SharedMerchant = {
          tenant_id: tenantId,
          code: body.code,
          whatsapp: body.whatsapp,
          ussd: body.ussd,
          created_at: existing?.created_at ?? now,
          updated_at: now,
        };
        await tx.sharedChannels.putMerchant(next);
        return next;
      });
      return ok(stored);
    },
  }),
  route({
    operationId: 'getSharedMerchant',
    method: 'get',
    path: `${T}/shared-channels`,
    tag,
    summary: 'The tenant’s merchant code and opt-ins on the shared channels',
    permission: 'setup:read',
    response: { status: 200, description: 'The merchant code and opt-ins', schema: sharedMerchantSchema },
    handler: async ({ engine, tenantId }) => {
      const row = await engine.transaction(tenantId, (tx) => tx.sharedChannels.getMerchant());
      if (row === null) throw new NotFoundError('shared merchant', tenantId);
      return ok(row);
    },
  }),
  route({
    operationId: 'deleteSharedMerchant',
    method: 'delete',
    path: `${T}/shared-channels`,
    tag,
    summary: 'Leave the shared channels (the merchant code is freed)',
    permission: 'tenant:write',
    audit: audited('shared_merchant.delete', 'shared_merchant', 'tenant'),
    response: { status: 204, description: 'Left' },
    handler: async ({ engine, tenantId }) => {
      const deleted = await engine.transaction(tenantId, (tx) => tx.sharedChannels.deleteMerchant());
      if (!deleted) throw new NotFoundError('shared merchant', tenantId);
      return noContent();
    },
  }),
  route({
    operationId: 'sharedUssdCallback',
    method: 'post',
    path: '/public/ussd/shared/:secret',
    tag,
    summary:
      'The shared USSD code’s gateway callback: a menu of the phone’s merchants, then the merchant’s menu',
    description:
      'Form-encoded like /public/ussd/callback/{secret} (`?gateway=` selects the gateway). 404 unless `{secret}` ' +
      'is the shared code’s callback secret and `serviceCode` the shared code.',
    permission: 'public',
    response: { status: 200, description: 'A `CON` menu or an `END` message', contentType: 'text/plain' },
    handler: async ({ deps, engine, hono, params }) => {
      const reply = await handleSharedUssd(
        { engine, store: deps.store, logger: deps.logger },
        params.secret ?? '',
        hono.req.query('gateway'),
        await hono.req.text(),
      );
      if (reply === null) throw httpError('NOT_FOUND', `No route ${hono.req.method} /public/ussd/shared/…`);
      return new Response(reply.body, { status: 200, headers: reply.headers });
    },
  }),
];
