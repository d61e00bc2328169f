import type { Campaign, CampaignStatus } from '@laas/core';
import type { CampaignsTable } from '../schema.js';
import { orNull, toTs, toTsOrNull } from './helpers.js';

export function campaignToRow(c: Campaign): CampaignsTable {
  return {
    tenant_id: c.tenant_id,
    id: c.id,
    name: c.name,
    starts_at: toTsOrNull(c.starts_at),
    ends_at: toTsOrNull(c.ends_at),
    status: c.status,
    budget_id: orNull(c.budget_id),
    created_at: toTs(c.created_at),
    updated_at: toTs(c.updated_at),
  };
}

export function campaignFromRow(r: CampaignsTable): Campaign {
  return {
    id: r.id,
    tenant_id: r.tenant_id,
    name: r.name,
    starts_at: r.starts_at,
    ends_at: r.ends_at,
    status: r.status as CampaignStatus,
    budget_id: r.budget_id,
    created_at: r.created_at,
    updated_at: r.updated_at,
  };
}
