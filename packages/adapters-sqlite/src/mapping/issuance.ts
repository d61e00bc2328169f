import type { Issuance, IssuanceState } from '@laas/core';
import type { IssuancesTable } from '../schema.js';
import { orNull, toTs, toTsOrNull } from './helpers.js';

export function issuanceToRow(i: Issuance): IssuancesTable {
  return {
    tenant_id: i.tenant_id,
    id: i.id,
    customer_id: i.customer_id,
    reward_id: i.reward_id,
    rule_id: orNull(i.rule_id),
    event_id: orNull(i.event_id),
    state: i.state,
    quantity: i.quantity,
    value: i.value,
    cost: i.cost,
    code: orNull(i.code),
    budget_id: orNull(i.budget_id),
    budget_period: orNull(i.budget_period),
    earned_at: toTs(i.earned_at),
    created_at: toTs(i.created_at),
    issued_at: toTsOrNull(i.issued_at),
    expires_at: toTsOrNull(i.expires_at),
    reserve_deadline: toTsOrNull(i.reserve_deadline),
    redeemed_at: toTsOrNull(i.redeemed_at),
    cancelled_at: toTsOrNull(i.cancelled_at),
    cancel_reason: orNull(i.cancel_reason),
  };
}

export function issuanceFromRow(r: IssuancesTable): Issuance {
  return {
    id: r.id,
    tenant_id: r.tenant_id,
    customer_id: r.customer_id,
    reward_id: r.reward_id,
    rule_id: r.rule_id,
    event_id: r.event_id,
    state: r.state as IssuanceState,
    quantity: r.quantity,
    value: r.value,
    cost: r.cost,
    code: r.code,
    budget_id: r.budget_id,
    budget_period: r.budget_period,
    earned_at: r.earned_at,
    created_at: r.created_at,
    issued_at: r.issued_at,
    expires_at: r.expires_at,
    reserve_deadline: r.reserve_deadline,
    redeemed_at: r.redeemed_at,
    cancelled_at: r.cancelled_at,
    cancel_reason: r.cancel_reason,
  };
}
