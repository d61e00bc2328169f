import { z } from 'zod';
import type { Timestamp } from '../time.js';
import { durationSchema, MAX_AMOUNT } from './common.js';

/** The qualifying measures a tier programme can rank customers by. */
export const TIER_MEASURES = ['spend', 'visits', 'points_earned'] as const;
export type TierMeasure = (typeof TIER_MEASURES)[number];

/** The most levels a programme may have. */
export const MAX_TIER_LEVELS = 20;
/** The longest rolling window, in days (buckets are scanned per day: the window bounds the scan). */
export const MAX_TIER_WINDOW_DAYS = 1_096;

const eventTypeSchema = z
  .string()
  .trim()
  .min(1)
  .max(64)
  .regex(/^[a-z0-9][a-z0-9._-]*$/, { message: 'must be an event type such as "visit"' });

/** One level: a customer holds it while the measure over the window is at least `threshold`. */
export const tierLevelSchema = z.strictObject({
  name: z.string().trim().min(1).max(60),
  threshold: z.number().int().min(0).max(MAX_AMOUNT),
});
export type TierLevel = z.infer<typeof tierLevelSchema>;

/** A rolling window of whole local days (`"365d"`), or the current calendar month or year. */
export const tierWindowSchema = z.union([
  z.strictObject({
    rolling: z
      .string()
      .regex(/^[1-9][0-9]{0,3}d$/, { message: 'must be a number of days, like "365d"' })
      .refine((v) => Number.parseInt(v, 10) <= MAX_TIER_WINDOW_DAYS, {
        message: `must be at most ${MAX_TIER_WINDOW_DAYS}d`,
      }),
  }),
  z.strictObject({ calendar: z.enum(['month', 'year']) }),
]);
export type TierWindow = z.infer<typeof tierWindowSchema>;

/** `PUT /tiers`: the tenant's tier programme as a merchant writes it. */
export const tierProgrammeInputSchema = z
  .strictObject({
    measure: z.enum(TIER_MEASURES),
    /** `visits` only: the event types that count as a visit. */
    event_types: z.array(eventTypeSchema).min(1).max(20).optional(),
    window: tierWindowSchema,
    /** How long a customer keeps a tier after falling below it; `"0d"`: downgrade at once. */
    grace: z.union([durationSchema, z.literal('0d')]).default('30d'),
    levels: z.array(tierLevelSchema).min(1).max(MAX_TIER_LEVELS),
  })
  .superRefine((input, ctx) => {
    const names = new Set<string>();
    input.levels.forEach((level, i) => {
      const key = level.name.toLowerCase();
      if (names.has(key)) {
        ctx.addIssue({
          code: 'custom',
          path: ['levels', i, 'name'],
          message: 'must be unique (case-insensitive)',
        });
      }
      names.add(key);
      const previous = input.levels[i - 1];
      if (previous !== undefined && level.threshold <= previous.threshold) {
        ctx.addIssue({
          code: 'custom',
          path: ['levels', i, 'threshold'],
          message: `must be greater than the previous level's threshold (${previous.threshold})`,
        });
      }
    });
    if (input.measure === 'visits' && input.event_types === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['event_types'],
        message: 'is required when measure is "visits"',
      });
    }
    if (input.measure !== 'visits' && input.event_types !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['event_types'], message: 'is only for measure "visits"' });
    }
  });
export type TierProgrammeInput = z.input<typeof tierProgrammeInputSchema>;

/** A tenant's tier programme as stored: one per tenant. */
export interface TierProgramme {
  tenant_id: string;
  measure: TierMeasure;
  /** The event types counted by `visits`; empty for the other measures. */
  event_types: string[];
  window: TierWindow;
  grace: string;
  /** Lowest first, thresholds strictly increasing. */
  levels: TierLevel[];
  /** Bumped by every change: a customer's tier computed under an older version is recomputed. */
  version: number;
  created_at: Timestamp;
  updated_at: Timestamp;
}

/** One customer's standing in the tier programme. */
export interface CustomerTier {
  tenant_id: string;
  customer_id: string;
  /** The level's name; null: no level reached. */
  tier: string | null;
  /** When the customer reached `tier` (or lost the last one). */
  since: Timestamp;
  /** The qualifying measure over the window, as last computed. */
  qualifying_value: number;
  /** Set while the measure is below the current tier's threshold: the downgrade happens then. */
  downgrade_due_at: Timestamp | null;
  /** The programme version this row was computed under. */
  programme_version: number;
  updated_at: Timestamp;
}

/** The names the per-day buckets of the qualifying measures are kept under. */
export const TIER_BUCKET_SPEND = 'spend';
export const TIER_BUCKET_POINTS = 'points';
/** The bucket counting events of `type`. */
export function tierCountBucket(type: string): string {
  return `count:${type}`;
}
