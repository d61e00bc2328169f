import type { Budget, BudgetLedgerEntry, BudgetLedgerKind, BudgetPeriod, BudgetPeriodUnit } from '@laas/core';
import type { BudgetLedgerTable, BudgetPeriodsTable, BudgetsTable } from '../schema.js';
import { fromBool, orNull, toBool, toTs } from './helpers.js';

export function budgetToRow(b: Budget): BudgetsTable {
  return {
    tenant_id: b.tenant_id,
    id: b.id,
    name: b.name,
    unit: b.unit,
    limit: b.limit,
    period: b.period,
    hard_cap: toBool(b.hard_cap),
    soft_cap_ratio: orNull(b.soft_cap_ratio),
    active: toBool(b.active),
    created_at: toTs(b.created_at),
    updated_at: toTs(b.updated_at),
  };
}

export function budgetFromRow(r: BudgetsTable): Budget {
  return {
    id: r.id,
    tenant_id: r.tenant_id,
    name: r.name,
    unit: r.unit,
    limit: r.limit,
    period: r.period as BudgetPeriodUnit,
    hard_cap: fromBool(r.hard_cap),
    soft_cap_ratio: r.soft_cap_ratio,
    active: fromBool(r.active),
    created_at: r.created_at,
    updated_at: r.updated_at,
  };
}

export function budgetPeriodFromRow(r: BudgetPeriodsTable): BudgetPeriod {
  return {
    budget_id: r.budget_id,
    period: r.period,
    limit: r.limit,
    reserved: r.reserved,
    utilized: r.utilized,
    spent: r.spent,
    threshold_notified: fromBool(r.threshold_notified),
    exhausted_notified: fromBool(r.exhausted_notified),
  };
}

export function budgetLedgerToRow(e: BudgetLedgerEntry): BudgetLedgerTable {
  return {
    tenant_id: e.tenant_id,
    id: e.id,
    budget_id: e.budget_id,
    period: e.period,
    issuance_id: orNull(e.issuance_id),
    kind: e.kind,
    amount: e.amount,
    from: orNull(e.from),
    to: orNull(e.to),
    at: toTs(e.at),
  };
}

export function budgetLedgerFromRow(r: BudgetLedgerTable): BudgetLedgerEntry {
  return {
    id: r.id,
    tenant_id: r.tenant_id,
    budget_id: r.budget_id,
    period: r.period,
    issuance_id: r.issuance_id,
    kind: r.kind as BudgetLedgerKind,
    amount: r.amount,
    from: r.from as BudgetLedgerEntry['from'],
    to: r.to as BudgetLedgerEntry['to'],
    at: r.at,
  };
}
