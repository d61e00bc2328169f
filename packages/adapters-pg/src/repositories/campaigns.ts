import type { Campaign, CampaignRepository } from '@laas/core';
import { translated } from '../errors.js';
import * as m from '../mapping.js';
import { ownRow, paginate, type TxContext, validId } from './context.js';

export function campaignRepository(ctx: TxContext): CampaignRepository {
  return {
    async insert(campaign: Campaign) {
      ownRow(ctx, campaign.tenant_id, 'campaign');
      await translated(() => ctx.db.insertInto('campaigns').values(m.fromCampaign(campaign)).execute());
    },
    async get(id) {
      if (!validId(id)) return null;
      const row = await ctx.db
        .selectFrom('campaigns')
        .selectAll()
        .where('tenant_id', '=', ctx.tenantId)
        .where('id', '=', id)
        .executeTakeFirst();
      return row ? m.toCampaign(row) : null;
    },
    async update(campaign) {
      const { tenant_id: _t, id: _id, created_at: _c, ...values } = m.fromCampaign(campaign);
      await ctx.db
        .updateTable('campaigns')
        .set(values)
        .where('tenant_id', '=', ctx.tenantId)
        .where('id', '=', campaign.id)
        .execute();
    },
    async list(page) {
      return paginate(
        page,
        (after, limit) => {
          let q = ctx.db.selectFrom('campaigns').selectAll().where('tenant_id', '=', ctx.tenantId);
          if (after !== undefined) q = q.where('id', '<', after);
          return q.orderBy('id', 'desc').limit(limit).execute();
        },
        m.toCampaign,
      );
    },
  };
}

/** The counter row of a claim: calendar windows by key, `lifetime`, and one lock row for rolling. */
