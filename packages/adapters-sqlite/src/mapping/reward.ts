import type { IssueMode, Reward, RewardType } from '@laas/core';
import type { RewardsTable } from '../schema.js';
import { fromBool, orNull, toBool, toTs } from './helpers.js';

export function rewardToRow(r: Reward): RewardsTable {
  return {
    tenant_id: r.tenant_id,
    id: r.id,
    name: r.name,
    type: r.type,
    value: r.value,
    cost: r.cost,
    issue_mode: r.issue_mode,
    validity: orNull(r.validity),
    reservation_ttl: r.reservation_ttl,
    points_price: orNull(r.points_price),
    active: toBool(r.active),
    created_at: toTs(r.created_at),
    updated_at: toTs(r.updated_at),
  };
}

export function rewardFromRow(r: RewardsTable): Reward {
  return {
    id: r.id,
    tenant_id: r.tenant_id,
    name: r.name,
    type: r.type as RewardType,
    value: r.value,
    cost: r.cost,
    issue_mode: r.issue_mode as IssueMode,
    validity: r.validity,
    reservation_ttl: r.reservation_ttl,
    points_price: r.points_price,
    active: fromBool(r.active),
    created_at: r.created_at,
    updated_at: r.updated_at,
  };
}
