import type { Campaign, CampaignRepository, Page, PageRequest } from '@laas/core';
import { campaignFromRow, campaignToRow } from '../mapping/campaign.js';
import { getRow, insertDef, listPage, type Scope, updateDef } from './scope.js';

export class SqliteCampaignRepository implements CampaignRepository {
  constructor(private readonly s: Scope) {}

  async insert(campaign: Campaign): Promise<void> {
    const row = this.s.own(campaignToRow(campaign), 'campaign');
    this.s.unique('campaign', row, () => this.s.r.run(insertDef('campaigns', row), row));
  }

  async get(id: string): Promise<Campaign | null> {
    const row = getRow(this.s, 'campaigns', id);
    return row === undefined ? null : campaignFromRow(row);
  }

  async update(campaign: Campaign): Promise<void> {
    const row = this.s.own(campaignToRow(campaign), 'campaign');
    this.s.r.run(updateDef('campaigns', row), row);
  }

  async list(page: PageRequest): Promise<Page<Campaign>> {
    return listPage(this.s, 'campaigns', page, campaignFromRow);
  }
}
