import type { CustomerTier, TierProgramme } from '../domain/tier.js';
import type { Timestamp } from '../time.js';

/**
 * A tenant's tier programme, its customers' tiers, and the per-customer per-day buckets the
 * qualifying measures are summed from (so a window is a bounded range scan, never all history).
 * Every method is scoped to the transaction's tenant.
 */
export interface TierRepository {
  getProgramme(): Promise<TierProgramme | null>;
  /** Inserts or replaces the tenant's programme. */
  putProgramme(programme: TierProgramme): Promise<void>;
  /** False when there was none. Customers' tier rows and buckets stay (a new programme reuses them). */
  deleteProgramme(): Promise<boolean>;

  getCustomerTier(customerId: string): Promise<CustomerTier | null>;
  /** Inserts or replaces the customer's row. Callers hold the customer's lock. */
  putCustomerTier(row: CustomerTier): Promise<void>;

  /**
   * Adds `amount` to the bucket `(customerId, measure, day)`, creating it at 0 first. MUST be one
   * atomic increment (an upsert adding to the stored value), never a read-then-write: two
   * transactions adding to the same bucket both count.
   */
  addToBucket(customerId: string, measure: string, day: string, amount: number): Promise<void>;
  /** The sum of the customer's buckets of any of `measures` whose day is `>= fromDay`; 0 when none. */
  sumBuckets(customerId: string, measures: readonly string[], fromDay: string): Promise<number>;

  /**
   * The customers whose `downgrade_due_at <= now`, the earliest first, at most `limit`. A worker
   * still locks each customer and re-checks the row before it acts.
   */
  listDowngradesDue(now: Timestamp, limit: number): Promise<CustomerTier[]>;
}
