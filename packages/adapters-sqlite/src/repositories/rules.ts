import type { Page, PageRequest, Rule, RuleRepository } from '@laas/core';
import { sql } from 'kysely';
import { ruleFromRow, ruleToRow } from '../mapping/rule.js';
import { defineQuery, markers, p } from '../query.js';
import type { RulesTable } from '../schema.js';
import { deleteDef, FIXED_COLUMNS, getRow, insertDef, listPage, type Scope } from './scope.js';

let updateVersioned: ReturnType<typeof defineQuery> | undefined;
function updateVersionedDef(row: RulesTable) {
  updateVersioned ??= defineQuery((db) =>
    db
      .updateTable('rules')
      .set(markers(Object.keys(row).filter((c) => !FIXED_COLUMNS.has(c))))
      .where('tenant_id', '=', p('tenant_id'))
      .where('id', '=', p('id'))
      .where('version', '=', p('expected_version')),
  );
  return updateVersioned;
}

const activeForType = defineQuery((db) =>
  db
    .selectFrom('rules')
    .selectAll()
    .where('tenant_id', '=', p('tenant_id'))
    // A literal, not a parameter: SQLite uses the partial index rules_active only for `active = 1`.
    .where(sql<boolean>`active = 1`)
    .where(sql<boolean>`EXISTS (SELECT 1 FROM json_each(rules.event_types) WHERE value = ${p('type')})`)
    .orderBy('priority', 'asc')
    .orderBy('id', 'asc'),
);

export class SqliteRuleRepository implements RuleRepository {
  constructor(private readonly s: Scope) {}

  async insert(rule: Rule): Promise<void> {
    const row = this.s.own(ruleToRow(rule), 'rule');
    this.s.unique('rule', row, () => this.s.r.run(insertDef('rules', row), row));
  }

  async get(id: string): Promise<Rule | null> {
    const row = getRow(this.s, 'rules', id);
    return row === undefined ? null : ruleFromRow(row);
  }

  async update(rule: Rule, expectedVersion: number): Promise<boolean> {
    const row = ruleToRow(rule);
    if (row.tenant_id !== this.s.tenantId) {
      // Like a stale version when this tenant has no such rule at that version; a bug otherwise.
      const own = getRow(this.s, 'rules', row.id);
      if (own === undefined || own.version !== expectedVersion) return false;
      this.s.own(row, 'rule');
    }
    return this.s.r.run(updateVersionedDef(row), { ...row, expected_version: expectedVersion }) > 0;
  }

  async delete(id: string): Promise<boolean> {
    return this.s.r.run(deleteDef('rules'), { tenant_id: this.s.tenantId, id }) > 0;
  }

  async list(page: PageRequest): Promise<Page<Rule>> {
    return listPage(this.s, 'rules', page, ruleFromRow);
  }

  async listActiveForEventType(type: string): Promise<Rule[]> {
    return this.s.r.all<RulesTable>(activeForType, { tenant_id: this.s.tenantId, type }).map(ruleFromRow);
  }
}
