import type { Cap, Rule } from '@laas/core';
import type { RulesTable } from '../schema.js';
import { fromBool, fromJson, orNull, toBool, toJson, toTs, toTsOrNull } from './helpers.js';

export function ruleToRow(r: Rule): RulesTable {
  return {
    tenant_id: r.tenant_id,
    id: r.id,
    name: r.name,
    priority: r.priority,
    active: toBool(r.active),
    event_types: toJson(r.event_types),
    condition: toJson(r.condition),
    reward_id: r.reward_id,
    quantity: toJson(r.quantity),
    caps: toJson(r.caps ?? []),
    cooldown: orNull(r.cooldown),
    stop_processing: toBool(r.stop_processing),
    campaign_id: orNull(r.campaign_id),
    budget_id: orNull(r.budget_id),
    valid_from: toTsOrNull(r.valid_from),
    valid_until: toTsOrNull(r.valid_until),
    version: r.version,
    created_at: toTs(r.created_at),
    updated_at: toTs(r.updated_at),
  };
}

export function ruleFromRow(r: RulesTable): Rule {
  return {
    id: r.id,
    tenant_id: r.tenant_id,
    name: r.name,
    priority: r.priority,
    active: fromBool(r.active),
    event_types: fromJson<string[]>(r.event_types),
    condition: fromJson<unknown>(r.condition),
    reward_id: r.reward_id,
    quantity: fromJson<unknown>(r.quantity),
    caps: fromJson<Cap[]>(r.caps),
    cooldown: r.cooldown,
    stop_processing: fromBool(r.stop_processing),
    campaign_id: r.campaign_id,
    budget_id: r.budget_id,
    valid_from: r.valid_from,
    valid_until: r.valid_until,
    version: r.version,
    created_at: r.created_at,
    updated_at: r.updated_at,
  };
}
