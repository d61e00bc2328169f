import {
  type Campaign,
  type Cap,
  enrollmentPageOf,
  isUuid,
  type Reward,
  type Rule,
  type Tx,
} from '@laas/core';
import { z } from 'zod';
import { joinLink, joinQrSvg } from '../channels/whatsapp/join-link.js';
import { httpError } from '../errors.js';
import { ok, type RouteContext, type RouteSpec, route } from './define.js';

const tag = 'enrollment';
const PATH = '/public/tenants/:tid/enrollment';
/** The most rules the page lists (by priority). */
const MAX_RULES = 50;

const NO_STORE = { 'cache-control': 'no-store' } as const;

/**
 * The one answer for a tenant without the page, an unknown tenant and a malformed id alike: the
 * same body (but its requestId), so the page cannot tell which tenants exist.
 */
function noPage(): Error {
  return httpError('NOT_FOUND', 'There is no enrollment page here');
}

/** How a summary names an event type: a preposition and the words after it. */
const EVENT_WORDS: Readonly<Record<string, readonly [string, string]>> = {
  visit: ['on', 'a visit'],
  purchase: ['on', 'a purchase'],
  signup: ['when', 'you sign up'],
  referral: ['for', 'a referral'],
  'customer.birthday': ['on', 'your birthday'],
  'customer.inactive': ['after', 'a while away'],
};

/** `on a visit`, `on a purchase or a visit`, `on a visit or when you sign up`. */
function eventWords(types: readonly string[]): string {
  const phrases = types.map((type) => EVENT_WORDS[type] ?? (['on', `"${type}"`] as const));
  const preposition = phrases[0]?.[0] ?? 'on';
  if (phrases.every(([p]) => p === preposition)) return `${preposition} ${orList(phrases.map(([, w]) => w))}`;
  return orList(phrases.map(([p, w]) => `${p} ${w}`));
}

const UNIT_WORDS = { m: 'minute', h: 'hour', d: 'day', w: 'week' } as const;

/** `12h` → `12 hours`, `1d` → `1 day`. */
function durationWords(duration: string): string {
  const match = /^(\d+)([mhdw])$/.exec(duration);
  if (match === null) return duration;
  const n = Number(match[1]);
  const unit = UNIT_WORDS[match[2] as keyof typeof UNIT_WORDS];
  return `${n} ${unit}${n === 1 ? '' : 's'}`;
}

/** `a`, `a or b`, `a, b or c`. */
function orList(items: string[]): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} or ${items[items.length - 1]}`;
}

function capWords(cap: Cap): string {
  const who = cap.scope === 'customer' ? 'per customer' : 'in total';
  const window =
    typeof cap.window === 'object'
      ? ` in any ${durationWords(cap.window.rolling)}`
      : cap.window === 'lifetime'
        ? ''
        : ` per ${cap.window}`;
  return `at most ${cap.max} ${who}${window}`;
}

/**
 * A rule in one plain sentence, from its event types, reward, caps and cooldown (never its
 * condition): `Earns Free coffee on a visit; at most 1 per customer per day; not again within 12 hours.`
 */
export function ruleSummary(
  rule: Pick<Rule, 'event_types' | 'quantity' | 'caps' | 'cooldown'>,
  reward: Pick<Reward, 'name'>,
): string {
  const units = typeof rule.quantity === 'number' && rule.quantity > 1 ? `${rule.quantity} × ` : '';
  const parts = [`Earns ${units}${reward.name} ${eventWords(rule.event_types)}`];
  for (const cap of rule.caps) parts.push(capWords(cap));
  if (rule.cooldown !== null) parts.push(`not again within ${durationWords(rule.cooldown)}`);
  return `${parts.join('; ')}.`;
}

async function allRules(tx: Tx): Promise<Rule[]> {
  const rules: Rule[] = [];
  let cursor: string | undefined;
  do {
    const page = await tx.rules.list({ limit: 200, cursor });
    rules.push(...page.items);
    cursor = page.next_cursor ?? undefined;
  } while (cursor !== undefined);
  return rules;
}

function campaignRuns(campaign: Campaign | null, now: string): boolean {
  return (
    campaign !== null &&
    campaign.status === 'active' &&
    (campaign.starts_at === null || campaign.starts_at <= now) &&
    (campaign.ends_at === null || now < campaign.ends_at)
  );
}

/** The tenant's page, or null when it has none (unknown tenant, malformed id, setting off). */
async function pageOf(ctx: RouteContext<unknown, unknown>) {
  const tenantId = ctx.params.tid ?? '';
  if (!isUuid(tenantId)) return null;
  const tenant = await ctx.deps.store.platform.getTenant(tenantId);
  if (tenant === null || !enrollmentPageOf(tenant.settings)) return null;
  const now = new Date().toISOString();
  return ctx.deps.store.transaction(
    tenantId,
    async (tx) => {
      const settings = await tx.whatsapp.getSettings();
      const rewards = new Map<string, Reward | null>();
      const campaigns = new Map<string, Campaign | null>();
      const listed: Array<{ rule: Rule; reward: Reward }> = [];
      const candidates = (await allRules(tx))
        .filter(
          (r) =>
            r.active &&
            (r.valid_from === null || r.valid_from <= now) &&
            (r.valid_until === null || now < r.valid_until),
        )
        .sort((a, b) => a.priority - b.priority || (a.id < b.id ? -1 : 1));
      for (const rule of candidates) {
        if (listed.length === MAX_RULES) break;
        if (!rewards.has(rule.reward_id)) rewards.set(rule.reward_id, await tx.rewards.get(rule.reward_id));
        const reward = rewards.get(rule.reward_id) ?? null;
        if (reward === null || !reward.active) continue;
        if (rule.campaign_id !== null) {
          if (!campaigns.has(rule.campaign_id))
            campaigns.set(rule.campaign_id, await tx.campaigns.get(rule.campaign_id));
          if (!campaignRuns(campaigns.get(rule.campaign_id) ?? null, now)) continue;
        }
        listed.push({ rule, reward });
      }
      const link = settings === null ? null : joinLink(settings);
      return {
        link,
        body: {
          name: tenant.name,
          whatsapp:
            link === null
              ? null
              : { url: link.url, text: link.text, qr_svg: `/public/tenants/${tenantId}/enrollment/qr.svg` },
          rules: listed.map(({ rule, reward }) => ({
            name: rule.name,
            reward: reward.name,
            summary: ruleSummary(rule, reward),
          })),
        },
      };
    },
    { readOnly: true },
  );
}

const enrollmentPageSchema = z
  .object({
    name: z.string().meta({ description: 'The shop’s name' }),
    whatsapp: z
      .object({
        url: z.string().meta({ description: 'https://wa.me/<number>?text=JOIN%20<code>' }),
        text: z.string().meta({ description: 'The message the link types in: JOIN <code>' }),
        qr_svg: z.string().meta({ description: 'The path of the link’s QR code (SVG)' }),
      })
      .nullable()
      .meta({ description: 'null when the shop has no WhatsApp number connected' }),
    rules: z
      .array(
        z.object({
          name: z.string(),
          reward: z.string().meta({ description: 'The reward’s name' }),
          summary: z.string().meta({
            description:
              'One sentence from the event types, the reward, the caps and the cooldown (never the condition): "Earns Free coffee on a visit; at most 1 per customer per day."',
          }),
        }),
      )
      .meta({
        description:
          'Active rules of active rewards within their validity (and their campaign’s, if any), by priority; at most 50',
      }),
  })
  .meta({ id: 'EnrollmentPage' });

/**
 * The public enrollment page (no credentials): what a shop shows a customer who scans its poster.
 * Served only while the tenant's `settings.enrollment_page` is true; otherwise, and for unknown or
 * malformed tenant ids, the same 404. Nothing internal is answered: no ids, conditions or budgets.
 * Rate-limited per address like every `/public/` route; never cached.
 */
export const enrollmentRoutes: RouteSpec[] = [
  route({
    operationId: 'getEnrollmentPage',
    method: 'get',
    path: PATH,
    tag,
    summary:
      'The public enrollment page’s data: the shop’s name, its WhatsApp join link and what its rules earn',
    description:
      'No credentials. Answers only while the tenant’s settings.enrollment_page is true; otherwise, and for an ' +
      'unknown or malformed tenant id, the same 404 NOT_FOUND. Rate-limited per client address; `cache-control: no-store`.',
    permission: 'public',
    response: { status: 200, description: 'The page’s data', schema: enrollmentPageSchema },
    handler: async (ctx) => {
      // Set first: the 404 (answered by the app's error mapping from this context) carries it too.
      ctx.hono.header('cache-control', 'no-store');
      const page = await pageOf(ctx);
      if (page === null) throw noPage();
      return ok(page.body);
    },
  }),
  route({
    operationId: 'getEnrollmentQrSvg',
    method: 'get',
    path: `${PATH}/qr.svg`,
    tag,
    summary: 'The enrollment page’s WhatsApp join link as a QR code (SVG)',
    description:
      'No credentials. 404 NOT_FOUND (the same body as the page’s) when the page is off, the tenant unknown, or ' +
      'the tenant has no WhatsApp number connected.',
    permission: 'public',
    response: { status: 200, description: 'An SVG image', contentType: 'image/svg+xml' },
    handler: async (ctx) => {
      ctx.hono.header('cache-control', 'no-store');
      const page = await pageOf(ctx);
      if (page === null || page.link === null) throw noPage();
      return new Response(await joinQrSvg(page.link.url), {
        status: 200,
        headers: { 'content-type': 'image/svg+xml; charset=utf-8', ...NO_STORE },
      });
    },
  }),
];
