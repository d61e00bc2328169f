import { NotFoundError, pageRequestSchema, type WhatsAppSettings } from '@laas/core';
import { z } from 'zod';
import { audited } from '../audit.js';
import { joinLink, joinQrPng, joinQrSvg } from '../channels/whatsapp/join-link.js';
import {
  putWhatsAppSettingsSchema,
  requireKey,
  settingsView,
  toStored,
  whatsAppSettingsViewSchema,
} from '../channels/whatsapp/settings.js';
import { httpError } from '../errors.js';
import { pageSchema, whatsAppMessageSchema } from '../openapi/schemas.js';
import { noContent, ok, type RouteContext, type RouteSpec, route, T } from './define.js';

const tag = 'whatsapp';

async function settingsOf(ctx: RouteContext<unknown, unknown>): Promise<WhatsAppSettings> {
  const settings = await ctx.engine.transaction(ctx.tenantId, (tx) => tx.whatsapp.getSettings());
  if (settings === null) throw new NotFoundError('WhatsApp settings', ctx.tenantId);
  return settings;
}

const joinLinkSchema = z
  .object({
    url: z.string().meta({ description: 'https://wa.me/<number>?text=JOIN%20<code>' }),
    text: z.string().meta({ description: 'The message the link types in: JOIN <code>' }),
    phone: z.string(),
  })
  .meta({ id: 'WhatsAppJoinLink' });

const messagesQuerySchema = pageRequestSchema.extend({
  phone: z
    .string()
    .transform((p) => p.replace(/[\s()+-]/g, ''))
    .pipe(z.string().regex(/^\d{6,15}$/, { message: 'an international phone number' }))
    .optional()
    .meta({ description: 'Only this customer phone (international, + optional)' }),
});

const pngQuerySchema = z.object({
  size: z.coerce.number().int().min(128).max(2048).default(512).meta({ description: 'Width in pixels' }),
});

const handshakeQuerySchema = z.object({
  'hub.mode': z.string().optional(),
  'hub.verify_token': z.string().optional(),
  'hub.challenge': z.string().optional(),
});

/**
 * The WhatsApp channel (docs/whatsapp.md): a tenant's settings, its join link and QR code, its
 * messages, and Meta's webhook (the handshake and the signed notifications, which read the raw
 * body themselves: the signature is over the exact bytes).
 */
export const whatsappRoutes: RouteSpec[] = [
  route({
    operationId: 'putWhatsAppSettings',
    audit: audited('whatsapp_settings.put', 'whatsapp_settings', 'tenant'),
    method: 'put',
    path: `${T}/whatsapp`,
    tag,
    summary: 'Connect (or reconfigure) the tenant’s WhatsApp number; the secrets are stored encrypted',
    description:
      'Needs `LAAS_SECRET_KEY` on the server (else 409). `access_token` and `app_secret` are never shown ' +
      'again; leave them out on a later PUT to keep them. `phone_number_id` and `verify_token` are unique ' +
      'across tenants (409 when taken).',
    permission: 'tenant:write',
    body: putWhatsAppSettingsSchema,
    errors: [409],
    response: {
      status: 200,
      description: 'The settings, without secrets',
      schema: whatsAppSettingsViewSchema,
    },
    handler: async ({ deps, engine, tenantId, body }) => {
      const key = requireKey(deps.config.secretKey);
      const stored = await engine.transaction(tenantId, async (tx) => {
        const existing = await tx.whatsapp.getSettings();
        const next = toStored(key, tenantId, body, existing, new Date().toISOString());
        await tx.whatsapp.putSettings(next);
        return next;
      });
      return ok(settingsView(stored));
    },
  }),
  route({
    operationId: 'getWhatsAppSettings',
    method: 'get',
    path: `${T}/whatsapp`,
    tag,
    summary: 'The tenant’s WhatsApp settings (never the secrets)',
    permission: 'setup:read',
    response: {
      status: 200,
      description: 'The settings, without secrets',
      schema: whatsAppSettingsViewSchema,
    },
    handler: async (ctx) => ok(settingsView(await settingsOf(ctx))),
  }),
  route({
    operationId: 'deleteWhatsAppSettings',
    audit: audited('whatsapp_settings.delete', 'whatsapp_settings', 'tenant'),
    method: 'delete',
    path: `${T}/whatsapp`,
    tag,
    summary: 'Disconnect WhatsApp (messages already recorded stay)',
    permission: 'tenant:write',
    response: { status: 204, description: 'Disconnected' },
    handler: async ({ engine, tenantId }) => {
      const deleted = await engine.transaction(tenantId, (tx) => tx.whatsapp.deleteSettings());
      if (!deleted) throw new NotFoundError('WhatsApp settings', tenantId);
      return noContent();
    },
  }),
  route({
    operationId: 'getWhatsAppJoinLink',
    method: 'get',
    path: `${T}/whatsapp/join`,
    tag,
    summary: 'The wa.me link that opens WhatsApp with "JOIN <code>" typed in',
    permission: 'till:read',
    response: { status: 200, description: 'The link and its text', schema: joinLinkSchema },
    handler: async (ctx) => ok(joinLink(await settingsOf(ctx))),
  }),
  route({
    operationId: 'getWhatsAppJoinQrPng',
    method: 'get',
    path: `${T}/whatsapp/join.png`,
    tag,
    summary: 'The join link as a QR code (PNG) to print for the counter',
    permission: 'till:read',
    query: pngQuerySchema,
    response: { status: 200, description: 'A PNG image', contentType: 'image/png' },
    handler: async (ctx) => {
      const png = await joinQrPng(joinLink(await settingsOf(ctx)).url, ctx.query.size);
      return new Response(new Uint8Array(png), {
        status: 200,
        headers: { 'content-type': 'image/png', 'cache-control': 'no-store' },
      });
    },
  }),
  route({
    operationId: 'getWhatsAppJoinQrSvg',
    method: 'get',
    path: `${T}/whatsapp/join.svg`,
    tag,
    summary: 'The join link as a QR code (SVG)',
    permission: 'till:read',
    response: { status: 200, description: 'An SVG image', contentType: 'image/svg+xml' },
    handler: async (ctx) => {
      const svg = await joinQrSvg(joinLink(await settingsOf(ctx)).url);
      return new Response(svg, {
        status: 200,
        headers: { 'content-type': 'image/svg+xml; charset=utf-8', 'cache-control': 'no-store' },
      });
    },
  }),
  route({
    operationId: 'listWhatsAppMessages',
    method: 'get',
    path: `${T}/whatsapp/messages`,
    tag,
    summary: 'WhatsApp messages received and sent, newest first (optionally of one phone)',
    permission: 'setup:read',
    query: messagesQuerySchema,
    response: { status: 200, description: 'A page of messages', schema: pageSchema(whatsAppMessageSchema) },
    handler: async ({ engine, tenantId, query }) => {
      const { phone, ...page } = query;
      return ok(
        await engine.transaction(tenantId, (tx) =>
          tx.whatsapp.listMessages({ ...page, ...(phone === undefined ? {} : { phone }) }),
        ),
      );
    },
  }),
  route({
    operationId: 'verifyWhatsAppWebhook',
    method: 'get',
    path: '/public/wa/webhook',
    tag,
    summary: 'Meta’s verification handshake: answers hub.challenge when hub.verify_token is configured',
    permission: 'public',
    query: handshakeQuerySchema,
    errors: [403],
    response: { status: 200, description: 'The challenge, as plain text', contentType: 'text/plain' },
    handler: async ({ deps, query, hono }) => {
      const challenge = await deps.whatsapp.handshake({
        mode: query['hub.mode'],
        token: query['hub.verify_token'],
        challenge: query['hub.challenge'],
      });
      if (challenge === null) {
        throw httpError(
          'AUTHORIZATION_ERROR',
          'hub.mode or hub.verify_token does not match any configured number',
        );
      }
      return hono.text(challenge, 200);
    },
  }),
  route({
    operationId: 'receiveWhatsAppWebhook',
    method: 'post',
    path: '/public/wa/webhook',
    tag,
    summary: 'Meta’s notifications (messages, delivery receipts), signed with X-Hub-Signature-256',
    description:
      'The body is Meta’s JSON, read raw: the HMAC-SHA256 signature (keyed with the app secret of the ' +
      'receiving number) is checked on the exact bytes before anything parses them. 401 when it is missing ' +
      'or wrong (nothing is processed); 200 for every validly signed notification.',
    permission: 'public',
    errors: [401],
    response: { status: 200, description: 'Received', contentType: 'text/plain' },
    handler: async ({ deps, hono }) => {
      const raw = new Uint8Array(await hono.req.arrayBuffer());
      const result = await deps.whatsapp.receive(raw, hono.req.header('x-hub-signature-256'));
      if (!result.verified) {
        deps.logger.warn({ reason: result.reason }, 'whatsapp notification refused');
        throw httpError('AUTHENTICATION_ERROR', `Invalid signature: ${result.reason}`);
      }
      return hono.text('EVENT_RECEIVED', 200);
    },
  }),
];
