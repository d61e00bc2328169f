import { createBudgetSchema, pageRequestSchema, topUpSchema, updateBudgetSchema } from '@laas/core';
import { z } from 'zod';
import { audited } from '../audit.js';
import { budgetLedgerEntrySchema, budgetPeriodSchema, budgetSchema, pageSchema } from '../openapi/schemas.js';
import { ok, type RouteSpec, route, T } from './define.js';

const id = (p: Readonly<Record<string, string>>) => p.id as string;

export const budgetRoutes: RouteSpec[] = [
  route({
    operationId: 'createBudget',
    audit: audited('budget.create', 'budget', 'answer'),
    method: 'post',
    path: `${T}/budgets`,
    tag: 'budgets',
    summary: 'Create a budget',
    permission: 'setup:write',
    body: createBudgetSchema,
    idempotency: 'stored',
    response: { status: 201, description: 'The budget', schema: budgetSchema },
    handler: async ({ engine, tenantId, body }) => ok(await engine.budgets.create(tenantId, body), 201),
  }),
  route({
    operationId: 'listBudgets',
    method: 'get',
    path: `${T}/budgets`,
    tag: 'budgets',
    summary: 'List budgets, newest first',
    permission: 'setup:read',
    query: pageRequestSchema,
    response: { status: 200, description: 'A page of budgets', schema: pageSchema(budgetSchema) },
    handler: async ({ engine, tenantId, query }) => ok(await engine.budgets.list(tenantId, query)),
  }),
  route({
    operationId: 'getBudget',
    method: 'get',
    path: `${T}/budgets/:id`,
    tag: 'budgets',
    summary: 'Get a budget',
    permission: 'setup:read',
    response: { status: 200, description: 'The budget', schema: budgetSchema },
    handler: async ({ engine, tenantId, params }) => ok(await engine.budgets.get(tenantId, id(params))),
  }),
  route({
    operationId: 'updateBudget',
    audit: audited('budget.update', 'budget'),
    method: 'patch',
    path: `${T}/budgets/:id`,
    tag: 'budgets',
    summary: 'Change a budget (a new limit applies to periods not started yet)',
    permission: 'setup:write',
    body: updateBudgetSchema,
    response: { status: 200, description: 'The budget', schema: budgetSchema },
    handler: async ({ engine, tenantId, params, body }) =>
      ok(await engine.budgets.update(tenantId, id(params), body)),
  }),
  route({
    operationId: 'topUpBudget',
    audit: audited('budget.top_up', 'budget'),
    method: 'post',
    path: `${T}/budgets/:id/top-up`,
    tag: 'budgets',
    summary: 'Raise one period’s limit (default: the current period)',
    permission: 'setup:write',
    body: topUpSchema,
    idempotency: 'stored',
    response: { status: 201, description: 'The period after the top-up', schema: budgetPeriodSchema },
    handler: async ({ engine, tenantId, params, body }) =>
      ok(await engine.topUp(tenantId, id(params), body), 201),
  }),
  route({
    operationId: 'listBudgetPeriods',
    method: 'get',
    path: `${T}/budgets/:id/periods`,
    tag: 'budgets',
    summary: 'The budget’s periods and their counters (reserved, utilized, spent)',
    permission: 'setup:read',
    response: {
      status: 200,
      description: 'The periods',
      schema: z.object({ items: z.array(budgetPeriodSchema) }),
    },
    handler: async ({ engine, tenantId, params }) =>
      ok({ items: await engine.budgets.periods(tenantId, id(params)) }),
  }),
  route({
    operationId: 'listBudgetLedger',
    method: 'get',
    path: `${T}/budgets/:id/ledger`,
    tag: 'budgets',
    summary: 'The budget’s ledger, newest first (optionally of one period)',
    permission: 'setup:read',
    query: pageRequestSchema.extend({ period: z.string().min(1).max(16).optional() }),
    response: {
      status: 200,
      description: 'A page of ledger rows',
      schema: pageSchema(budgetLedgerEntrySchema),
    },
    handler: async ({ engine, tenantId, params, query: { period, limit, cursor } }) =>
      ok(await engine.budgets.ledger(tenantId, id(params), period, { limit, cursor })),
  }),
];
