import type {
  Issuance,
  IssuanceListFilter,
  IssuanceRepository,
  IssuanceState,
  Page,
  PageRequest,
  Timestamp,
} from '@laas/core';
import { toTs } from '../mapping/helpers.js';
import { issuanceFromRow, issuanceToRow } from '../mapping/issuance.js';
import { defineQuery, defineSql, markers, p, type QueryDef } from '../query.js';
import type { IssuancesTable } from '../schema.js';
import { FIXED_COLUMNS, getRow, insertDef, listPage, type Scope } from './scope.js';

const byCode = defineQuery((db) =>
  db
    .selectFrom('issuances')
    .selectAll()
    .where('tenant_id', '=', p('tenant_id'))
    .where('code', '=', p('code'))
    .orderBy('id', 'desc')
    .limit(1),
);

let transitionDef: QueryDef | undefined;
function transitionQuery(row: IssuancesTable): QueryDef {
  transitionDef ??= defineQuery((db) =>
    db
      .updateTable('issuances')
      .set(markers(Object.keys(row).filter((c) => !FIXED_COLUMNS.has(c))))
      .where('tenant_id', '=', p('tenant_id'))
      .where('id', '=', p('id'))
      .where('state', '=', p('from_state'))
      .returningAll(),
  );
  return transitionDef;
}

/** countEarned in its four shapes, so that each uses its index: per customer or all, since or ever. */
const countEarned = {
  customerSince: defineQuery((db) =>
    db
      .selectFrom('issuances')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('tenant_id', '=', p('tenant_id'))
      .where('rule_id', '=', p('rule_id'))
      .where('customer_id', '=', p('customer_id'))
      .where('earned_at', '>=', p('since')),
  ),
  customerEver: defineQuery((db) =>
    db
      .selectFrom('issuances')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('tenant_id', '=', p('tenant_id'))
      .where('rule_id', '=', p('rule_id'))
      .where('customer_id', '=', p('customer_id')),
  ),
  allSince: defineQuery((db) =>
    db
      .selectFrom('issuances')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('tenant_id', '=', p('tenant_id'))
      .where('rule_id', '=', p('rule_id'))
      .where('earned_at', '>=', p('since')),
  ),
  allEver: defineQuery((db) =>
    db
      .selectFrom('issuances')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('tenant_id', '=', p('tenant_id'))
      .where('rule_id', '=', p('rule_id')),
  ),
};

const lastEarned = defineQuery((db) =>
  db
    .selectFrom('issuances')
    .select((eb) => eb.fn.max('earned_at').as('at'))
    .where('tenant_id', '=', p('tenant_id'))
    .where('rule_id', '=', p('rule_id'))
    .where('customer_id', '=', p('customer_id')),
);

/** Two index range scans (issued past expiry, reserved past deadline), merged oldest first. */
const listDue = defineSql(`
  SELECT * FROM (
    SELECT *, expires_at AS due_at FROM issuances INDEXED BY issuances_due_expiry
      WHERE tenant_id = @tenant_id AND state = 'issued' AND expires_at IS NOT NULL AND expires_at <= @now
    UNION ALL
    SELECT *, reserve_deadline AS due_at FROM issuances INDEXED BY issuances_due_reservation
      WHERE tenant_id = @tenant_id AND state = 'reserved' AND reserve_deadline IS NOT NULL AND reserve_deadline <= @now
  ) ORDER BY due_at, id LIMIT @limit`);

export class SqliteIssuanceRepository implements IssuanceRepository {
  constructor(private readonly s: Scope) {}

  async insert(issuance: Issuance): Promise<void> {
    const row = this.s.own(issuanceToRow(issuance), 'issuance');
    this.s.unique('issuance', row, () => this.s.r.run(insertDef('issuances', row), row));
  }

  async get(id: string): Promise<Issuance | null> {
    const row = getRow(this.s, 'issuances', id);
    return row === undefined ? null : issuanceFromRow(row);
  }

  /** Codes are unique per reward, not per tenant: with two rewards sharing a code, the newest issuance. */
  async getByCode(code: string): Promise<Issuance | null> {
    const row = this.s.r.get<IssuancesTable>(byCode, { tenant_id: this.s.tenantId, code });
    return row === undefined ? null : issuanceFromRow(row);
  }

  async transition(next: Issuance, from: IssuanceState): Promise<Issuance | null> {
    const row = issuanceToRow(next);
    if (row.tenant_id !== this.s.tenantId) {
      // Like a lost race when this tenant has no such issuance in state `from`; a bug otherwise.
      const own = getRow(this.s, 'issuances', row.id);
      if (own === undefined || own.state !== from) return null;
      this.s.own(row, 'issuance');
    }
    const after = this.s.r.get<IssuancesTable>(transitionQuery(row), { ...row, from_state: from });
    return after === undefined ? null : issuanceFromRow(after);
  }

  async list(filter: IssuanceListFilter, page: PageRequest): Promise<Page<Issuance>> {
    return listPage(this.s, 'issuances', page, issuanceFromRow, (q) => {
      if (filter.customer_id !== undefined) q = q.where('customer_id', '=', filter.customer_id);
      if (filter.rule_id !== undefined) q = q.where('rule_id', '=', filter.rule_id);
      if (filter.reward_id !== undefined) q = q.where('reward_id', '=', filter.reward_id);
      if (filter.state !== undefined) q = q.where('state', '=', filter.state);
      return q;
    });
  }

  async countEarned(ruleId: string, customerId: string | null, since: Timestamp | null): Promise<number> {
    const def =
      customerId === null
        ? since === null
          ? countEarned.allEver
          : countEarned.allSince
        : since === null
          ? countEarned.customerEver
          : countEarned.customerSince;
    const args = {
      tenant_id: this.s.tenantId,
      rule_id: ruleId,
      customer_id: customerId,
      since: since === null ? null : toTs(since),
    };
    return this.s.r.get<{ n: number }>(def, args)?.n ?? 0;
  }

  async lastEarnedAt(ruleId: string, customerId: string): Promise<Timestamp | null> {
    const row = this.s.r.get<{ at: string | null }>(lastEarned, {
      tenant_id: this.s.tenantId,
      rule_id: ruleId,
      customer_id: customerId,
    });
    return row?.at ?? null;
  }

  async listDue(now: Timestamp, limit: number): Promise<Issuance[]> {
    return this.s.r
      .all<IssuancesTable>(listDue, { tenant_id: this.s.tenantId, now: toTs(now), limit })
      .map(issuanceFromRow);
  }
}
