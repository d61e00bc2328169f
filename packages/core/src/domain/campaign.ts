import { z } from 'zod';
import type { Timestamp } from '../time.js';
import { idSchema, timestampSchema } from './common.js';

export type CampaignStatus = 'draft' | 'active' | 'paused' | 'ended';

/** A named group of rules: they run only while the campaign is active and within its dates. */
export interface Campaign {
  id: string;
  tenant_id: string;
  name: string;
  starts_at: Timestamp | null;
  ends_at: Timestamp | null;
  status: CampaignStatus;
  /** The budget of the campaign's rules that name none of their own. */
  budget_id: string | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export const createCampaignSchema = z
  .strictObject({
    id: idSchema.optional(),
    name: z.string().trim().min(1).max(200),
    starts_at: timestampSchema.nullable().default(null),
    ends_at: timestampSchema.nullable().default(null),
    status: z.enum(['draft', 'active', 'paused', 'ended']).default('draft'),
    budget_id: idSchema.nullable().default(null),
  })
  .refine((c) => c.starts_at === null || c.ends_at === null || c.starts_at < c.ends_at, {
    message: 'ends_at must be after starts_at',
    path: ['ends_at'],
  });
export type CreateCampaignInput = z.input<typeof createCampaignSchema>;

export const updateCampaignSchema = z.strictObject({
  name: z.string().trim().min(1).max(200).optional(),
  starts_at: timestampSchema.nullable().optional(),
  ends_at: timestampSchema.nullable().optional(),
  budget_id: idSchema.nullable().optional(),
});
export type UpdateCampaignInput = z.input<typeof updateCampaignSchema>;
