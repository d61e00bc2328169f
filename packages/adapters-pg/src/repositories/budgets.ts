import {
  type Budget,
  type BudgetCounter,
  type BudgetLedgerEntry,
  type BudgetPeriod,
  type BudgetRepository,
  type BudgetReservation,
  NotFoundError,
  StateConflictError,
} from '@laas/core';
import { sql } from 'kysely';
import { translated } from '../errors.js';
import * as m from '../mapping.js';
import { defer, ownRow, paginate, periodKey, type TxContext, table, validId } from './context.js';

export const COUNTERS: ReadonlySet<string> = new Set<BudgetCounter>(['reserved', 'utilized', 'spent']);

export function budgetRepository(ctx: TxContext): BudgetRepository {
  const periods = () => table(ctx, 'budget_periods');
  const createPeriod = (budgetId: string, period: string, limit: number) =>
    sql`
      INSERT INTO ${periods()} (tenant_id, budget_id, period, "limit")
      VALUES (${ctx.tenantId}::uuid, ${budgetId}::uuid, ${period}, ${limit}::bigint)
      ON CONFLICT DO NOTHING`;

  const moveSql = (
    budgetId: string,
    period: string,
    from: BudgetCounter,
    to: BudgetCounter | null,
    amount: number,
  ) => {
    const fromCol = sql.ref(from);
    const set =
      to === null
        ? sql`${fromCol} = ${fromCol} - ${amount}::bigint`
        : sql`${fromCol} = ${fromCol} - ${amount}::bigint, ${sql.ref(to)} = ${sql.ref(to)} + ${amount}::bigint`;
    return sql`
      UPDATE ${periods()} SET ${set}
      WHERE tenant_id = ${ctx.tenantId}::uuid AND budget_id = ${budgetId}::uuid AND period = ${period}
        AND ${fromCol} >= ${amount}::bigint`;
  };
  /** A held period's counters and flags, written whole: one update however many changes came before it. */
  const writeHeld = (row: BudgetPeriod) => {
    const key = periodKey(row.budget_id, row.period);
    ctx.held.periods.set(key, row);
    return defer(
      ctx,
      ctx.db
        .updateTable('budget_periods')
        .set({
          reserved: row.reserved,
          utilized: row.utilized,
          spent: row.spent,
          threshold_notified: row.threshold_notified,
          exhausted_notified: row.exhausted_notified,
        })
        .where('tenant_id', '=', ctx.tenantId)
        .where('budget_id', '=', row.budget_id)
        .where('period', '=', row.period),
      `period:${key}`,
    );
  };
  const notEnough = (current: BudgetPeriod, from: BudgetCounter, amount: number) =>
    new StateConflictError(
      `Budget period ${current.period} holds ${current[from]} in ${from}, less than the ${amount} to move`,
      { budget_id: current.budget_id, period: current.period, counter: from, amount },
    );

  return {
    async insert(budget: Budget) {
      ownRow(ctx, budget.tenant_id, 'budget');
      await translated(() => ctx.db.insertInto('budgets').values(m.fromBudget(budget)).execute());
    },
    async get(id) {
      if (!validId(id)) return null;
      const row = await ctx.db
        .selectFrom('budgets')
        .selectAll()
        .where('tenant_id', '=', ctx.tenantId)
        .where('id', '=', id)
        .executeTakeFirst();
      return row ? m.toBudget(row) : null;
    },
    async update(budget) {
      const { tenant_id: _t, id: _id, created_at: _c, ...values } = m.fromBudget(budget);
      await ctx.db
        .updateTable('budgets')
        .set(values)
        .where('tenant_id', '=', ctx.tenantId)
        .where('id', '=', budget.id)
        .execute();
    },
    async list(page) {
      return paginate(
        page,
        (after, limit) => {
          let q = ctx.db.selectFrom('budgets').selectAll().where('tenant_id', '=', ctx.tenantId);
          if (after !== undefined) q = q.where('id', '<', after);
          return q.orderBy('id', 'desc').limit(limit).execute();
        },
        m.toBudget,
      );
    },
    async getPeriod(budgetId, period) {
      if (!validId(budgetId)) return null;
      const row = await ctx.db
        .selectFrom('budget_periods')
        .selectAll()
        .where('tenant_id', '=', ctx.tenantId)
        .where('budget_id', '=', budgetId)
        .where('period', '=', period)
        .executeTakeFirst();
      return row ? m.toBudgetPeriod(row) : null;
    },
    async listPeriods(budgetId) {
      if (!validId(budgetId)) return [];
      const rows = await ctx.db
        .selectFrom('budget_periods')
        .selectAll()
        .where('tenant_id', '=', ctx.tenantId)
        .where('budget_id', '=', budgetId)
        .orderBy('period', 'desc')
        .execute();
      return rows.map(m.toBudgetPeriod);
    },
    async reserve(r: BudgetReservation) {
      await defer(ctx, createPeriod(r.budgetId, r.period, r.defaultLimit));
      // The guard and the increment are one statement: a concurrent reserve of the same period
      // waits for the row lock and then re-evaluates the WHERE on the row it committed.
      const { rows } = await sql<m.BudgetPeriodRow>`
        UPDATE ${periods()} SET reserved = reserved + ${r.amount}::bigint
        WHERE tenant_id = ${ctx.tenantId}::uuid AND budget_id = ${r.budgetId}::uuid AND period = ${r.period}
          AND (NOT ${r.hardCap}::boolean OR reserved + utilized + spent + ${r.amount}::bigint <= "limit")
        RETURNING *`.execute(ctx.db);
      const row = rows[0];
      if (!row) return null;
      const reserved = m.toBudgetPeriod(row);
      // Updated, so locked by this transaction until it ends.
      ctx.held.periods.set(periodKey(r.budgetId, r.period), reserved);
      return reserved;
    },
    async move(budgetId, period, from, to, amount) {
      if (!COUNTERS.has(from) || (to !== null && !COUNTERS.has(to)) || from === to) {
        throw new Error(`invalid budget move ${from} → ${String(to)}`);
      }
      const key = periodKey(budgetId, period);
      const held = ctx.held.periods.get(key);
      if (held !== undefined) {
        if (held[from] < amount) throw notEnough(held, from, amount);
        const after = {
          ...held,
          [from]: held[from] - amount,
          ...(to === null ? {} : { [to]: held[to] + amount }),
        };
        await writeHeld(after);
        return after;
      }
      const { rows } =
        await sql<m.BudgetPeriodRow>`${moveSql(budgetId, period, from, to, amount)} RETURNING *`.execute(
          ctx.db,
        );
      const row = rows[0];
      if (!row) {
        const current = await this.getPeriod(budgetId, period);
        if (!current) throw new NotFoundError('budget period', key);
        throw notEnough(current, from, amount);
      }
      const moved = m.toBudgetPeriod(row);
      ctx.held.periods.set(key, moved);
      return moved;
    },
    async topUp(budgetId, period, defaultLimit, amount) {
      const { rows } = await sql<m.BudgetPeriodRow>`
        INSERT INTO ${periods()} AS p (tenant_id, budget_id, period, "limit")
        VALUES (${ctx.tenantId}::uuid, ${budgetId}::uuid, ${period}, ${defaultLimit}::bigint + ${amount}::bigint)
        ON CONFLICT (tenant_id, budget_id, period) DO UPDATE SET "limit" = p."limit" + ${amount}::bigint
        RETURNING *`.execute(ctx.db);
      const row = m.toBudgetPeriod(rows[0]!);
      ctx.held.periods.set(periodKey(budgetId, period), row);
      return row;
    },
    async markNotified(budgetId, period, kind) {
      const flag = kind === 'threshold' ? 'threshold_notified' : 'exhausted_notified';
      const column = sql.ref(flag);
      const key = periodKey(budgetId, period);
      const held = ctx.held.periods.get(key);
      if (held !== undefined) {
        if (held[flag]) return false;
        await writeHeld({ ...held, [flag]: true });
        return true;
      }
      const { rows } = await sql`
        UPDATE ${periods()} SET ${column} = true
        WHERE tenant_id = ${ctx.tenantId}::uuid AND budget_id = ${budgetId}::uuid AND period = ${period}
          AND NOT ${column}
        RETURNING 1`.execute(ctx.db);
      return rows.length === 1;
    },
    async appendLedger(entry: BudgetLedgerEntry) {
      ownRow(ctx, entry.tenant_id, 'budget ledger entry');
      await defer(ctx, ctx.db.insertInto('budget_ledger').values(m.fromBudgetLedgerEntry(entry)));
    },
    async listLedger(budgetId, period, page) {
      return paginate(
        page,
        (after, limit) => {
          if (!validId(budgetId)) return Promise.resolve([]);
          let q = ctx.db
            .selectFrom('budget_ledger')
            .selectAll()
            .where('tenant_id', '=', ctx.tenantId)
            .where('budget_id', '=', budgetId);
          if (period !== null) q = q.where('period', '=', period);
          if (after !== undefined) q = q.where('id', '<', after);
          return q.orderBy('id', 'desc').limit(limit).execute();
        },
        m.toBudgetLedgerEntry,
      );
    },
  };
}
