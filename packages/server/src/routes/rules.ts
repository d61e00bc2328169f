import {
  checkRuleLogic,
  createRuleSchema,
  idSchema,
  jsonObject,
  pageRequestSchema,
  RULE_CONTEXT_SCHEMA,
  timestampSchema,
  updateRuleSchema,
  ValidationError,
} from '@laas/core';
import { z } from 'zod';
import { audited } from '../audit.js';
import {
  pageSchema,
  ruleSchema,
  ruleTestResultSchema,
  ruleValidationSchema,
  ruleWithWarningsSchema,
} from '../openapi/schemas.js';
import { noContent, ok, type RouteSpec, route, T } from './define.js';

const id = (p: Readonly<Record<string, string>>) => p.id as string;

const validateRuleSchema = z.strictObject({
  condition: z.unknown().optional(),
  quantity: z.unknown().optional(),
});

const testRuleSchema = z
  .strictObject({
    /** Test a stored rule... */
    rule_id: idSchema.optional(),
    /** ...or this condition and quantity. */
    condition: z.unknown().optional(),
    quantity: z.unknown().optional(),
    /** A sample `{ event, customer, tenant, now }`. */
    context: jsonObject,
    /** The time the time operators see; default now. */
    now: timestampSchema.optional(),
  })
  .refine((b) => b.rule_id !== undefined || b.condition !== undefined, {
    message: 'give a rule_id or a condition',
    path: ['condition'],
  });

/** JsonLogic truthiness: like JavaScript's, except that an empty array is false. */
function truthy(value: unknown): boolean {
  return Array.isArray(value) ? value.length > 0 : Boolean(value);
}

/** `?strict=true`: refuse a rule whose logic has warnings (an unknown variable) instead of saving it. */
const strictQuery = z.object({
  strict: z.enum(['true', 'false']).optional().meta({
    description:
      '`true`: refuse (422 `VALIDATION_ERROR`, `details.issues` naming each path) a rule whose condition or quantity has warnings, such as an unknown variable; default `false`: save it and answer the warnings',
  }),
});

const WARNINGS_TEXT =
  'The answer is the rule with `warnings`: problems of its condition and quantity that do not stop it being saved, ' +
  'chiefly a variable outside the rule context (`event.ammount`), each with its JSON path (`condition.and[0][">="][0].var`) ' +
  'and a `suggestion` ("did you mean"). An empty array when none. With `?strict=true` such a rule is refused with 422 ' +
  "`VALIDATION_ERROR`. The variables a rule can read: docs/rule-context.md (and this tag's description).";

export const ruleRoutes: RouteSpec[] = [
  route({
    operationId: 'createRule',
    audit: audited('rule.create', 'rule', 'answer'),
    method: 'post',
    path: `${T}/rules`,
    tag: 'rules',
    summary:
      'Create a rule (validated: unknown operators and bad paths are refused; unknown variables warned about)',
    description: WARNINGS_TEXT,
    permission: 'setup:write',
    query: strictQuery,
    body: createRuleSchema,
    idempotency: 'stored',
    response: { status: 201, description: 'The rule, with warnings', schema: ruleWithWarningsSchema },
    handler: async ({ engine, tenantId, query, body }) =>
      ok(await engine.rules.create(tenantId, body, { strict: query.strict === 'true' }), 201),
  }),
  route({
    operationId: 'listRules',
    method: 'get',
    path: `${T}/rules`,
    tag: 'rules',
    summary: 'List rules, newest first',
    permission: 'setup:read',
    query: pageRequestSchema,
    response: { status: 200, description: 'A page of rules', schema: pageSchema(ruleSchema) },
    handler: async ({ engine, tenantId, query }) => ok(await engine.rules.list(tenantId, query)),
  }),
  route({
    operationId: 'getRule',
    method: 'get',
    path: `${T}/rules/:id`,
    tag: 'rules',
    summary: 'Get a rule',
    permission: 'setup:read',
    response: { status: 200, description: 'The rule', schema: ruleSchema },
    handler: async ({ engine, tenantId, params }) => ok(await engine.rules.get(tenantId, id(params))),
  }),
  route({
    operationId: 'updateRule',
    audit: audited('rule.update', 'rule'),
    method: 'patch',
    path: `${T}/rules/:id`,
    tag: 'rules',
    summary: 'Change a rule (send `version` for an optimistic lock: 409 when it moved on)',
    description: WARNINGS_TEXT,
    permission: 'setup:write',
    query: strictQuery,
    body: updateRuleSchema,
    errors: [409, 422],
    response: { status: 200, description: 'The rule, with warnings', schema: ruleWithWarningsSchema },
    handler: async ({ engine, tenantId, params, query, body }) =>
      ok(await engine.rules.update(tenantId, id(params), body, { strict: query.strict === 'true' })),
  }),
  route({
    operationId: 'deleteRule',
    audit: audited('rule.delete', 'rule'),
    method: 'delete',
    path: `${T}/rules/:id`,
    tag: 'rules',
    summary: 'Delete a rule (its issuances stay)',
    permission: 'setup:write',
    response: { status: 204, description: 'Deleted' },
    handler: async ({ engine, tenantId, params }) => {
      await engine.rules.delete(tenantId, id(params));
      return noContent();
    },
  }),
  route({
    operationId: 'validateRule',
    method: 'post',
    path: `${T}/rules/validate`,
    tag: 'rules',
    summary: 'Validate a condition and quantity: errors, and warnings such as unknown context paths',
    permission: 'simulate',
    body: validateRuleSchema,
    response: { status: 200, description: 'Errors and warnings', schema: ruleValidationSchema },
    handler: async ({ engine, body }) => {
      const opts = { contextSchema: RULE_CONTEXT_SCHEMA };
      const condition = engine.logic.validate(body.condition ?? true, opts);
      const quantity = engine.logic.validate(body.quantity ?? 1, opts);
      return ok({
        valid: condition.errors.length === 0 && quantity.errors.length === 0,
        condition,
        quantity,
      });
    },
  }),
  route({
    operationId: 'testRule',
    method: 'post',
    path: `${T}/rules/test`,
    tag: 'rules',
    summary: 'Evaluate a rule (stored, or given) against a sample context, with the evaluation tree',
    permission: 'simulate',
    body: testRuleSchema,
    response: { status: 200, description: 'The result and its explanation', schema: ruleTestResultSchema },
    handler: async ({ engine, tenantId, body }) => {
      const tenant = await engine.tenants.get(tenantId);
      let condition: unknown = body.condition;
      let quantity: unknown = body.quantity ?? 1;
      if (body.rule_id !== undefined) {
        const rule = await engine.rules.get(tenantId, body.rule_id);
        condition = body.condition ?? rule.condition;
        quantity = body.quantity ?? rule.quantity;
      }
      const checks = checkRuleLogic(engine.logic, { condition, quantity });
      const errors = checks.errors;
      if (errors.length > 0) {
        throw new ValidationError(`Invalid rule: ${errors[0]?.path}: ${errors[0]?.message}`, errors);
      }
      const env = { now: new Date(body.now ?? Date.now()), timeZone: tenant.timezone };
      try {
        const c = engine.logic.compile(condition);
        const q = engine.logic.compile(quantity);
        const conditionTree = c.explain(body.context, env);
        const matched = truthy(conditionTree.value);
        const quantityTree = matched ? q.explain(body.context, env) : null;
        return ok({
          matched,
          condition_value: conditionTree.value ?? null,
          quantity: quantityTree === null ? null : (quantityTree.value ?? null),
          warnings: checks.warnings,
          explanation: { condition: conditionTree, quantity: quantityTree },
        });
      } catch (error) {
        // A rule that fails while evaluating (step limit, operator error) is the caller's input.
        const message = error instanceof Error ? error.message : String(error);
        throw new ValidationError(`The rule failed on this context: ${message}`, [
          { path: 'context', message },
        ]);
      }
    },
  }),
];
