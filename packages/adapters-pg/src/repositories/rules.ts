import type { Rule, RuleRepository } from '@laas/core';
import { sql } from 'kysely';
import { translated } from '../errors.js';
import * as m from '../mapping.js';
import { ownRow, paginate, type TxContext, validId } from './context.js';

export function ruleRepository(ctx: TxContext): RuleRepository {
  return {
    async insert(rule: Rule) {
      ownRow(ctx, rule.tenant_id, 'rule');
      await translated(() => ctx.db.insertInto('rules').values(m.fromRule(rule)).execute());
    },
    async get(id) {
      if (!validId(id)) return null;
      const row = await ctx.db
        .selectFrom('rules')
        .selectAll()
        .where('tenant_id', '=', ctx.tenantId)
        .where('id', '=', id)
        .executeTakeFirst();
      return row ? m.toRule(row) : null;
    },
    async update(rule, expectedVersion) {
      const { tenant_id: _t, id: _id, created_at: _c, ...values } = m.fromRule(rule);
      const result = await ctx.db
        .updateTable('rules')
        .set(values)
        .where('tenant_id', '=', ctx.tenantId)
        .where('id', '=', rule.id)
        .where('version', '=', expectedVersion)
        .executeTakeFirst();
      return result.numUpdatedRows > 0n;
    },
    async delete(id) {
      if (!validId(id)) return false;
      const result = await ctx.db
        .deleteFrom('rules')
        .where('tenant_id', '=', ctx.tenantId)
        .where('id', '=', id)
        .executeTakeFirst();
      return result.numDeletedRows > 0n;
    },
    async list(page) {
      return paginate(
        page,
        (after, limit) => {
          let q = ctx.db.selectFrom('rules').selectAll().where('tenant_id', '=', ctx.tenantId);
          if (after !== undefined) q = q.where('id', '<', after);
          return q.orderBy('id', 'desc').limit(limit).execute();
        },
        m.toRule,
      );
    },
    async listActiveForEventType(type) {
      const rows = await ctx.db
        .selectFrom('rules')
        .selectAll()
        .where('tenant_id', '=', ctx.tenantId)
        .where('active', '=', true)
        .where(sql<boolean>`event_types @> ${m.json([type])}::jsonb`)
        .orderBy('priority', 'asc')
        .orderBy('id', 'asc')
        .execute();
      return rows.map(m.toRule);
    },
  };
}
