import { z } from 'zod';
import { analyticsRangeSchema } from '../domain/analytics.js';
import { createApiKeySchema } from '../domain/api-key.js';
import { createBudgetSchema, topUpSchema, updateBudgetSchema } from '../domain/budget.js';
import { createCampaignSchema, updateCampaignSchema } from '../domain/campaign.js';
import { idSchema, pageRequestSchema } from '../domain/common.js';
import { createCustomerSchema, updateCustomerSchema } from '../domain/customer.js';
import { ingestEventSchema } from '../domain/event.js';
import { ISSUANCE_STATES } from '../domain/issuance-state.js';
import { adjustPointsSchema, redeemPointsSchema } from '../domain/points.js';
import { createRewardSchema, updateRewardSchema, uploadCodesSchema } from '../domain/reward.js';
import { createRuleSchema, updateRuleSchema } from '../domain/rule.js';
import { createTenantSchema, updateTenantSchema } from '../domain/tenant.js';
import { tierProgrammeInputSchema } from '../domain/tier.js';
import { generateCodesSchema } from '../domain/voucher-code.js';
import { createWebhookSchema, updateWebhookSchema } from '../domain/webhook.js';
import { type FieldIssue, ValidationError } from '../errors.js';
import type { Engine } from './types.js';

/**
 * The arguments of every public engine method, checked when the engine is built (see
 * {@link checkArguments}) so that a JavaScript caller passing the wrong thing gets a
 * `VALIDATION_ERROR` naming the argument, as the API would answer, instead of a `TypeError` or
 * a misleading `NOT_FOUND` from deep inside. The fields of an input object are still checked by
 * the method itself (`parseInput`, with the API's field paths); here only its shape.
 */
export interface ArgSpec {
  name: string;
  /** Completes "`name` must be ...". */
  expected: string;
  optional: boolean;
  /** A cheap test for the common kinds (the hot path of `ingest`); else `schema` decides. */
  accepts?: (value: unknown) => boolean;
  schema?: z.ZodType;
}

const isString = (value: unknown) => typeof value === 'string';
const isPlainObject = (value: unknown) =>
  typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Date);

/**
 * An id: any string. A string that is no uuid stays `NOT_FOUND` (as `GET /customers/abc` is a
 * 404 over the API); anything else is the caller's mistake.
 */
export function argId(name: string, entity: string): ArgSpec {
  const article = /^[aeiouAEIOU]/.test(entity) ? 'an' : 'a';
  return {
    name,
    expected: `the id of ${article} ${entity} (a uuid string)`,
    optional: false,
    accepts: isString,
  };
}

/** `{ a, b, … }`: the required fields of an object schema, for messages. */
function fieldsOf(schema: z.ZodType): string {
  if (!(schema instanceof z.ZodObject)) return '{ … }';
  const shape = schema.shape as Record<string, z.ZodType>;
  // A caller's own `id` is optional everywhere: leave it out of the hint.
  const keys = Object.keys(shape).filter((key) => key !== 'id');
  const required = keys.filter((key) => !shape[key]?.safeParse(undefined).success);
  const shown = required.length > 0 ? required : keys.slice(0, 3);
  return `{ ${shown.join(', ')}${shown.length < keys.length ? ', …' : ''} }`;
}

/** An input object whose fields the method parses itself with `schema`: here only "an object". */
export function argInput(name: string, schema: z.ZodType, optional = false): ArgSpec {
  return { name, expected: `an object like ${fieldsOf(schema)}`, optional, accepts: isPlainObject };
}

/** An argument checked whole by `schema` here (options, filters, pages: small, not hot). */
export function argSchema(name: string, expected: string, schema: z.ZodType, optional = false): ArgSpec {
  return { name, expected, optional, schema };
}

const tenantId = argId('tenantId', 'tenant');
const page = argSchema(
  'page',
  'an object like { limit, cursor }',
  z.strictObject({ ...pageRequestSchema.shape }).partial(),
  true,
);
const date = (name: string, optional = false) => argSchema(name, 'a valid Date', z.date(), optional);
const fn = (name: string): ArgSpec => ({
  name,
  expected: 'a function',
  optional: false,
  accepts: (value) => typeof value === 'function',
});
const oneOf = (name: string, values: readonly [string, ...string[]]) =>
  argSchema(name, `one of ${values.map((v) => JSON.stringify(v)).join(', ')}`, z.enum(values));

const redeemTarget = z
  .strictObject({ issuance_id: z.string().optional(), code: z.string().optional() })
  .refine((t) => (t.issuance_id === undefined) !== (t.code === undefined), {
    message: 'give exactly one of issuance_id and code',
  });

/** Public engine methods: `ingest`, `customers.get`, …; the type makes the table complete. */
type MethodsOf<T> = {
  [K in keyof T & string]: T[K] extends (...args: never[]) => unknown ? K : never;
}[keyof T & string];
type Namespace = Exclude<keyof Engine, 'store' | 'secrets' | 'logic' | MethodsOf<Engine>>;
export type EngineMethodName =
  | MethodsOf<Engine>
  | { [N in Namespace]: `${N}.${MethodsOf<Engine[N]>}` }[Namespace];

/** Every public engine method with its arguments, in order. */
export const ENGINE_ARGUMENTS: Readonly<Record<EngineMethodName, readonly ArgSpec[]>> = {
  ingest: [
    tenantId,
    argInput('input', ingestEventSchema),
    argSchema(
      'options',
      'an object like { dryRun }',
      z.strictObject({ dryRun: z.boolean().optional() }),
      true,
    ),
  ],
  idempotent: [
    tenantId,
    argSchema(
      'request',
      'an object like { key, fingerprint }',
      z.strictObject({ key: z.string().min(1), fingerprint: z.string() }),
    ),
    fn('fn'),
  ],
  transaction: [tenantId, fn('fn')],
  observe: [
    {
      name: 'observer',
      expected: 'an object like { transactionRetried }',
      optional: false,
      accepts: isPlainObject,
    },
  ],
  purgeIdempotencyKeys: [tenantId, date('before')],
  dryRun: [tenantId, argInput('input', ingestEventSchema)],
  redeem: [tenantId, argSchema('target', 'an object like { issuance_id } or { code }', redeemTarget)],
  cancel: [tenantId, argId('issuanceId', 'issuance'), argSchema('reason', 'a string', z.string(), true)],
  issueReserved: [tenantId, argId('issuanceId', 'issuance')],
  redeemPoints: [
    tenantId,
    argId('customerId', 'customer'),
    argSchema('input', 'an object like { reward_id }', redeemPointsSchema),
  ],
  expireDue: [tenantId, date('now', true)],
  topUp: [tenantId, argId('budgetId', 'budget'), argInput('input', topUpSchema)],

  'tenants.create': [argInput('input', createTenantSchema)],
  'tenants.get': [tenantId],
  'tenants.update': [tenantId, argInput('input', updateTenantSchema)],

  'customers.create': [tenantId, argInput('input', createCustomerSchema)],
  'customers.get': [tenantId, argId('id', 'customer')],
  'customers.update': [tenantId, argId('id', 'customer'), argInput('input', updateCustomerSchema)],
  'customers.setStatus': [tenantId, argId('id', 'customer'), oneOf('status', ['active', 'blocked'])],
  'customers.erase': [tenantId, argId('id', 'customer')],
  'customers.export': [tenantId, argId('id', 'customer')],
  'customers.list': [
    tenantId,
    argSchema(
      'filter',
      'an object like { status, tag, q, phone, external_ref }',
      z.strictObject({
        status: z.enum(['active', 'blocked', 'erased']).optional(),
        tag: z.string().optional(),
        q: z.string().min(1).max(100).optional(),
        phone: z.string().optional(),
        external_ref: z.string().optional(),
      }),
      true,
    ),
    page,
  ],

  'events.get': [tenantId, argId('id', 'event')],
  'events.list': [
    tenantId,
    argSchema(
      'filter',
      'an object like { customer_id, type }',
      z.strictObject({ customer_id: idSchema.optional(), type: z.string().optional() }),
      true,
    ),
    page,
  ],

  'rules.create': [tenantId, argInput('input', createRuleSchema)],
  'rules.get': [tenantId, argId('id', 'rule')],
  'rules.update': [tenantId, argId('id', 'rule'), argInput('input', updateRuleSchema)],
  'rules.delete': [tenantId, argId('id', 'rule')],
  'rules.list': [tenantId, page],

  'rewards.create': [tenantId, argInput('input', createRewardSchema)],
  'rewards.get': [tenantId, argId('id', 'reward')],
  'rewards.update': [tenantId, argId('id', 'reward'), argInput('input', updateRewardSchema)],
  'rewards.list': [tenantId, page],
  'rewards.uploadCodes': [tenantId, argId('rewardId', 'reward'), argInput('input', uploadCodesSchema)],
  'rewards.codeCounts': [tenantId, argId('rewardId', 'reward')],
  'rewards.generateCodes': [tenantId, argId('rewardId', 'reward'), argInput('input', generateCodesSchema)],

  'issuances.get': [tenantId, argId('id', 'issuance')],
  'issuances.validateCode': [tenantId, argSchema('code', 'a code (a string)', z.string())],
  'issuances.list': [
    tenantId,
    argSchema(
      'filter',
      'an object like { customer_id, rule_id, reward_id, state }',
      z.strictObject({
        customer_id: idSchema.optional(),
        rule_id: idSchema.optional(),
        reward_id: idSchema.optional(),
        state: z.enum(ISSUANCE_STATES as [string, ...string[]]).optional(),
      }),
      true,
    ),
    page,
  ],

  'budgets.create': [tenantId, argInput('input', createBudgetSchema)],
  'budgets.get': [tenantId, argId('id', 'budget')],
  'budgets.update': [tenantId, argId('id', 'budget'), argInput('input', updateBudgetSchema)],
  'budgets.list': [tenantId, page],
  'budgets.periods': [tenantId, argId('id', 'budget')],
  'budgets.ledger': [
    tenantId,
    argId('id', 'budget'),
    argSchema('period', 'a period key such as "2026-01"', z.string(), true),
    page,
  ],

  'campaigns.create': [tenantId, argInput('input', createCampaignSchema)],
  'campaigns.get': [tenantId, argId('id', 'campaign')],
  'campaigns.update': [tenantId, argId('id', 'campaign'), argInput('input', updateCampaignSchema)],
  'campaigns.setStatus': [tenantId, argId('id', 'campaign'), oneOf('status', ['active', 'paused', 'ended'])],
  'campaigns.list': [tenantId, page],

  'points.balance': [tenantId, argId('customerId', 'customer')],
  'points.history': [tenantId, argId('customerId', 'customer'), page],
  'points.adjust': [
    tenantId,
    argId('customerId', 'customer'),
    argInput('input', adjustPointsSchema),
    argSchema('actor', 'who made the adjustment (a string, or null)', z.string().max(255).nullable(), true),
  ],

  'refunds.list': [
    tenantId,
    argSchema(
      'filter',
      'an object like { customer_id, original_event_id }',
      z.strictObject({ customer_id: idSchema.optional(), original_event_id: idSchema.optional() }),
      true,
    ),
    page,
  ],

  'webhooks.create': [tenantId, argInput('input', createWebhookSchema)],
  'webhooks.get': [tenantId, argId('id', 'webhook')],
  'webhooks.update': [tenantId, argId('id', 'webhook'), argInput('input', updateWebhookSchema)],
  'webhooks.delete': [tenantId, argId('id', 'webhook')],
  'webhooks.list': [tenantId, page],
  'webhooks.rotateSecret': [tenantId, argId('id', 'webhook')],
  'webhooks.deliveries': [tenantId, argId('id', 'webhook'), page],
  'webhooks.replay': [tenantId, argId('id', 'webhook'), argId('deliveryId', 'delivery')],
  'webhooks.test': [tenantId, argId('id', 'webhook')],

  'apiKeys.create': [tenantId, argInput('input', createApiKeySchema)],
  'apiKeys.list': [tenantId, page],
  'apiKeys.revoke': [tenantId, argId('id', 'API key')],

  'analytics.summary': [tenantId, argInput('range', analyticsRangeSchema, true)],

  'tiers.get': [tenantId],
  'tiers.put': [tenantId, argInput('input', tierProgrammeInputSchema)],
  'tiers.delete': [tenantId],
  'tiers.customer': [tenantId, argId('customerId', 'customer')],
  'tiers.applyDue': [tenantId, date('now', true)],

  'outbox.list': [tenantId, page],

  'referrals.get': [tenantId, argId('customerId', 'customer')],
};

/** `the string "abc"`, `the number 42`, `an array`: what the caller passed, for the message. */
export function describeValue(value: unknown): string {
  if (value === undefined || value === null) return String(value);
  if (typeof value === 'string') {
    const shown = value.length > 40 ? `${value.slice(0, 40)}…` : value;
    return `the string ${JSON.stringify(shown)}`;
  }
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint')
    return `the ${typeof value} ${String(value)}`;
  if (typeof value === 'function') return 'a function';
  if (typeof value === 'symbol') return 'a symbol';
  if (Array.isArray(value)) return 'an array';
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? 'an invalid Date' : 'a Date';
  const keys = Object.keys(value);
  return keys.length === 0 ? 'an empty object' : `an object with ${keys.slice(0, 5).join(', ')}`;
}

/** The error for `value` at `spec`, or undefined when it is fine. */
function checkOne(signature: string, spec: ArgSpec, value: unknown): ValidationError | undefined {
  if (value === undefined && spec.optional) return undefined;
  const whole = `${signature}: ${spec.name} must be ${spec.expected}, got ${describeValue(value)}`;
  const atRoot = (): ValidationError =>
    new ValidationError(whole, [
      { path: spec.name, message: `must be ${spec.expected}`, code: 'invalid_argument' },
    ]);
  if (spec.accepts !== undefined) return spec.accepts(value) ? undefined : atRoot();
  const result = spec.schema?.safeParse(value);
  if (result === undefined || result.success) return undefined;
  // Not even the right kind of value: one issue naming the argument.
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return atRoot();
  const issues: FieldIssue[] = result.error.issues.flatMap((issue): FieldIssue[] => {
    const at = [spec.name, ...issue.path.map(String)];
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({
        path: [...at, key].join('.'),
        message: 'is not a known field',
        code: issue.code,
      }));
    }
    return [{ path: at.join('.'), message: issue.message, code: issue.code }];
  });
  const first = issues[0];
  const at = first === undefined || first.path === spec.name ? '' : `${first.path}: ${first.message}; `;
  return new ValidationError(`${signature}: ${at}${spec.name} must be ${spec.expected}`, issues);
}

/** `redeemPoints(tenantId, customerId, input)`; an optional argument ends in `?`. */
export function signatureOf(path: string, specs: readonly ArgSpec[]): string {
  return `${path}(${specs.map((s) => (s.optional ? `${s.name}?` : s.name)).join(', ')})`;
}

type AnyMethod = (...args: unknown[]) => Promise<unknown>;

/** `method` checking its arguments first; a wrong one rejects as the method would have. */
function checked(path: string, specs: readonly ArgSpec[], method: AnyMethod): AnyMethod {
  const signature = signatureOf(path, specs);
  // Fixed parameters, not `...args`: `ingest` is hot and no method takes more than four.
  return (a?: unknown, b?: unknown, c?: unknown, d?: unknown) => {
    for (let i = 0; i < specs.length; i++) {
      const value = i === 0 ? a : i === 1 ? b : i === 2 ? c : d;
      const error = checkOne(signature, specs[i] as ArgSpec, value);
      if (error !== undefined) return Promise.reject(error);
    }
    return method(a, b, c, d);
  };
}

const NOT_METHODS = new Set(['store', 'secrets', 'logic']);

/**
 * The engine with every public method checking its arguments against {@link ENGINE_ARGUMENTS}.
 * A method missing from the table is a programming error, caught when the engine is built.
 */
export function checkArguments(engine: Engine): Engine {
  const table = ENGINE_ARGUMENTS as Readonly<Record<string, readonly ArgSpec[]>>;
  const wrap = (path: string, method: AnyMethod): AnyMethod => {
    const specs = table[path];
    if (specs === undefined) throw new Error(`engine method ${path} has no entry in ENGINE_ARGUMENTS`);
    return checked(path, specs, method);
  };
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(engine)) {
    if (NOT_METHODS.has(key)) out[key] = value;
    else if (typeof value === 'function') out[key] = wrap(key, value as AnyMethod);
    else if (typeof value === 'object' && value !== null) {
      const namespace: Record<string, unknown> = {};
      for (const [name, method] of Object.entries(value)) {
        namespace[name] = typeof method === 'function' ? wrap(`${key}.${name}`, method as AnyMethod) : method;
      }
      out[key] = namespace;
    } else out[key] = value;
  }
  return out as unknown as Engine;
}
