import {
  type Budget,
  type BudgetCounter,
  type BudgetLedgerEntry,
  type BudgetPeriod,
  type BudgetRepository,
  type BudgetReservation,
  LaasError,
  NotFoundError,
  type Page,
  type PageRequest,
} from '@laas/core';
import { sql } from 'kysely';
import {
  budgetFromRow,
  budgetLedgerFromRow,
  budgetLedgerToRow,
  budgetPeriodFromRow,
  budgetToRow,
} from '../mapping/budget.js';
import { defineQuery, p, type QueryDef } from '../query.js';
import type { BudgetPeriodsTable } from '../schema.js';
import { getRow, insertDef, listPage, type Scope, updateDef } from './scope.js';

const periodKey = (db: Parameters<Parameters<typeof defineQuery>[0]>[0]) =>
  db
    .updateTable('budget_periods')
    .where('tenant_id', '=', p('tenant_id'))
    .where('budget_id', '=', p('budget_id'))
    .where('period', '=', p('period'));

const getPeriod = defineQuery((db) =>
  db
    .selectFrom('budget_periods')
    .selectAll()
    .where('tenant_id', '=', p('tenant_id'))
    .where('budget_id', '=', p('budget_id'))
    .where('period', '=', p('period')),
);
const listPeriods = defineQuery((db) =>
  db
    .selectFrom('budget_periods')
    .selectAll()
    .where('tenant_id', '=', p('tenant_id'))
    .where('budget_id', '=', p('budget_id'))
    .orderBy('period', 'desc'),
);
/** Creates the period row with its default limit unless it exists. */
const ensurePeriod = defineQuery((db) =>
  db
    .insertInto('budget_periods')
    .values({
      tenant_id: p('tenant_id'),
      budget_id: p('budget_id'),
      period: p('period'),
      limit: p('default_limit'),
      reserved: 0,
      utilized: 0,
      spent: 0,
      threshold_notified: 0,
      exhausted_notified: 0,
    })
    .onConflict((oc) => oc.doNothing()),
);
const deletePeriod = defineQuery((db) =>
  db
    .deleteFrom('budget_periods')
    .where('tenant_id', '=', p('tenant_id'))
    .where('budget_id', '=', p('budget_id'))
    .where('period', '=', p('period')),
);
/** The guarded reservation: applies only while there is room (or when not hard-capped). */
const reserve = defineQuery((db) =>
  periodKey(db)
    .set({ reserved: sql<number>`reserved + ${p('amount')}` })
    .where(sql<boolean>`(${p('hard_cap')} = 0 OR reserved + utilized + spent + ${p('amount')} <= "limit")`)
    .returningAll(),
);
const topUp = defineQuery((db) =>
  periodKey(db)
    .set({ limit: sql<number>`"limit" + ${p('amount')}` })
    .returningAll(),
);
const markNotified = {
  threshold: defineQuery((db) =>
    periodKey(db).set({ threshold_notified: 1 }).where('threshold_notified', '=', 0).returning('period'),
  ),
  exhausted: defineQuery((db) =>
    periodKey(db).set({ exhausted_notified: 1 }).where('exhausted_notified', '=', 0).returning('period'),
  ),
};

const COUNTERS: readonly BudgetCounter[] = ['reserved', 'utilized', 'spent'];
const moveDefs = new Map<string, QueryDef>();
/** `from -= amount, to += amount WHERE from >= amount`: one statement per (from, to). */
function moveDef(from: BudgetCounter, to: BudgetCounter | null): QueryDef {
  const key = `${from}>${to}`;
  let def = moveDefs.get(key);
  if (def === undefined) {
    if (!COUNTERS.includes(from) || (to !== null && !COUNTERS.includes(to))) {
      throw new TypeError(`not a budget counter: ${from} or ${to}`);
    }
    const set: Record<string, unknown> = { [from]: sql`${sql.ref(from)} - ${p('amount')}` };
    if (to === from) set[from] = sql.ref(from);
    else if (to !== null) set[to] = sql`${sql.ref(to)} + ${p('amount')}`;
    def = defineQuery((db) =>
      periodKey(db)
        .set(set)
        .where(sql<boolean>`${sql.ref(from)} >= ${p('amount')}`)
        .returningAll(),
    );
    moveDefs.set(key, def);
  }
  return def;
}

export class SqliteBudgetRepository implements BudgetRepository {
  constructor(private readonly s: Scope) {}

  async insert(budget: Budget): Promise<void> {
    const row = this.s.own(budgetToRow(budget), 'budget');
    this.s.unique('budget', row, () => this.s.r.run(insertDef('budgets', row), row));
  }

  async get(id: string): Promise<Budget | null> {
    const row = getRow(this.s, 'budgets', id);
    return row === undefined ? null : budgetFromRow(row);
  }

  async update(budget: Budget): Promise<void> {
    const row = this.s.own(budgetToRow(budget), 'budget');
    this.s.r.run(updateDef('budgets', row), row);
  }

  async list(page: PageRequest): Promise<Page<Budget>> {
    return listPage(this.s, 'budgets', page, budgetFromRow);
  }

  async getPeriod(budgetId: string, period: string): Promise<BudgetPeriod | null> {
    const row = this.s.r.get<BudgetPeriodsTable>(getPeriod, {
      tenant_id: this.s.tenantId,
      budget_id: budgetId,
      period,
    });
    return row === undefined ? null : budgetPeriodFromRow(row);
  }

  async listPeriods(budgetId: string): Promise<BudgetPeriod[]> {
    return this.s.r
      .all<BudgetPeriodsTable>(listPeriods, { tenant_id: this.s.tenantId, budget_id: budgetId })
      .map(budgetPeriodFromRow);
  }

  async reserve(reservation: BudgetReservation): Promise<BudgetPeriod | null> {
    const key = { tenant_id: this.s.tenantId, budget_id: reservation.budgetId, period: reservation.period };
    const created = this.s.r.run(ensurePeriod, { ...key, default_limit: reservation.defaultLimit }) > 0;
    const row = this.s.r.get<BudgetPeriodsTable>(reserve, {
      ...key,
      amount: reservation.amount,
      hard_cap: reservation.hardCap ? 1 : 0,
    });
    if (row !== undefined) return budgetPeriodFromRow(row);
    // Refused: change nothing, not even the period row this call created.
    if (created) this.s.r.run(deletePeriod, key);
    return null;
  }

  async move(
    budgetId: string,
    period: string,
    from: BudgetCounter,
    to: BudgetCounter | null,
    amount: number,
  ): Promise<BudgetPeriod> {
    const key = { tenant_id: this.s.tenantId, budget_id: budgetId, period };
    const row = this.s.r.get<BudgetPeriodsTable>(moveDef(from, to), { ...key, amount });
    if (row !== undefined) return budgetPeriodFromRow(row);
    const current = this.s.r.get<BudgetPeriodsTable>(getPeriod, key);
    if (current === undefined) throw new NotFoundError('budget period', `${budgetId}/${period}`);
    throw new LaasError(
      'INTERNAL_ERROR',
      `Budget ${budgetId} period ${period}: cannot move ${amount} out of ${from}, which holds ${current[from]}`,
      { budget_id: budgetId, period, from, to, amount, held: current[from] },
    );
  }

  async topUp(budgetId: string, period: string, defaultLimit: number, amount: number): Promise<BudgetPeriod> {
    const key = { tenant_id: this.s.tenantId, budget_id: budgetId, period };
    this.s.r.run(ensurePeriod, { ...key, default_limit: defaultLimit });
    const row = this.s.r.get<BudgetPeriodsTable>(topUp, { ...key, amount });
    if (row === undefined) throw new NotFoundError('budget period', `${budgetId}/${period}`);
    return budgetPeriodFromRow(row);
  }

  async markNotified(budgetId: string, period: string, kind: 'threshold' | 'exhausted'): Promise<boolean> {
    const def = markNotified[kind];
    return this.s.r.get(def, { tenant_id: this.s.tenantId, budget_id: budgetId, period }) !== undefined;
  }

  async appendLedger(entry: BudgetLedgerEntry): Promise<void> {
    const row = this.s.own(budgetLedgerToRow(entry), 'budget ledger entry');
    this.s.unique('budget ledger entry', row, () => this.s.r.run(insertDef('budget_ledger', row), row));
  }

  async listLedger(
    budgetId: string,
    period: string | null,
    page: PageRequest,
  ): Promise<Page<BudgetLedgerEntry>> {
    return listPage(this.s, 'budget_ledger', page, budgetLedgerFromRow, (q) => {
      q = q.where('budget_id', '=', budgetId);
      return period === null ? q : q.where('period', '=', period);
    });
  }
}
