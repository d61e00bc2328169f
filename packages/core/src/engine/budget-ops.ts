import type { Budget, BudgetLedgerKind, BudgetPeriod } from '../domain/budget.js';
import { MAX_AMOUNT } from '../domain/common.js';
import type { BudgetCounter } from '../domain/issuance-state.js';
import { UnprocessableInputError } from '../errors.js';
import { emit, type Operation } from './operation.js';

async function ledger(
  op: Operation,
  budgetId: string,
  period: string,
  issuanceId: string | null,
  kind: BudgetLedgerKind,
  amount: number,
  from: BudgetCounter | 'limit' | null,
  to: BudgetCounter | 'limit' | null,
): Promise<void> {
  await op.tx.budgets.appendLedger({
    id: op.newId(),
    tenant_id: op.tenant.id,
    budget_id: budgetId,
    period,
    issuance_id: issuanceId,
    kind,
    amount,
    from,
    to,
    at: op.now,
  });
}

/**
 * Reserves `amount` of `budget` in `period` for an issuance about to be created: the guarded
 * reservation, its ledger row, and the soft-cap and exhaustion outbox rows (each once per period).
 * Returns the period after, or null when a hard cap left no room.
 */
export async function reserveBudget(
  op: Operation,
  budget: Budget,
  period: string,
  issuanceId: string,
  amount: number,
): Promise<BudgetPeriod | null> {
  const after = await op.tx.budgets.reserve({
    budgetId: budget.id,
    period,
    defaultLimit: budget.limit,
    amount,
    hardCap: budget.hard_cap,
  });
  if (after === null) {
    if (await op.tx.budgets.markNotified(budget.id, period, 'exhausted')) {
      await emit(op, 'budget.exhausted', { budget_id: budget.id, budget_name: budget.name, period });
    }
    return null;
  }
  await ledger(op, budget.id, period, issuanceId, 'reserve', amount, null, 'reserved');
  const committed = after.reserved + after.utilized + after.spent;
  if (
    budget.soft_cap_ratio !== null &&
    committed >= budget.soft_cap_ratio * after.limit &&
    (await op.tx.budgets.markNotified(budget.id, period, 'threshold'))
  ) {
    await emit(op, 'budget.threshold', {
      budget_id: budget.id,
      budget_name: budget.name,
      period,
      limit: after.limit,
      committed,
      soft_cap_ratio: budget.soft_cap_ratio,
    });
  }
  return after;
}

/** Moves an issuance's cost between its period's counters and records the ledger row. */
export async function moveBudget(
  op: Operation,
  budgetId: string,
  period: string,
  issuanceId: string,
  kind: BudgetLedgerKind,
  amount: number,
  from: BudgetCounter,
  to: BudgetCounter | null,
): Promise<void> {
  await op.tx.budgets.move(budgetId, period, from, to, amount);
  await ledger(op, budgetId, period, issuanceId, kind, amount, from, to);
}

export async function topUpBudget(
  op: Operation,
  budget: Budget,
  period: string,
  amount: number,
): Promise<BudgetPeriod> {
  const after = await op.tx.budgets.topUp(budget.id, period, budget.limit, amount);
  if (after.limit > MAX_AMOUNT) {
    throw new UnprocessableInputError(
      `This top-up would take the period's limit to ${after.limit}, past the maximum of ${MAX_AMOUNT}`,
      [{ path: 'amount', message: `takes the limit past ${MAX_AMOUNT}`, code: 'too_big' }],
    );
  }
  await ledger(op, budget.id, period, null, 'topup', amount, null, 'limit');
  return after;
}
