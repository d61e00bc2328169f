import type { CustomerTier, TierProgramme } from '../domain/tier.js';
import { LaasError } from '../errors.js';
import type { TierRepository } from '../ports/tier-repository.js';
import { SortedKeys } from './sorted-keys.js';
import type { TenantData } from './state.js';
import type { UndoLog } from './undo-log.js';

/** What the tier repository needs of a MemoryStore transaction. */
export interface TierCtx {
  readonly tenantId: string;
  readonly data: TenantData;
  readonly log: UndoLog;
  readonly copy: <T>(value: T) => T;
  /** Throws once the transaction has ended. */
  live(): void;
  /** Bumps the tenant's configuration version (the programme is configuration ingest caches). */
  configChanged(): void;
}

const SEP = '\u0000';
const PROGRAMME = 'programme';

/** One tenant's tier rows. Every map is written through the undo log only. */
class TierData {
  readonly programme = new Map<string, TierProgramme>();
  readonly customers = new Map<string, CustomerTier>();
  /** `${customer}\0${measure}\0${day}` → the bucket's sum. */
  readonly buckets = new Map<string, number>();
  /** `${customer}\0${measure}` → the days it has buckets for, ascending. */
  readonly days = new Map<string, SortedKeys>();
}

// Kept beside the tenant's data rather than in it, so the tier feature adds no field to the
// shared state classes; a WeakMap keyed by the tenant's data lives exactly as long as it does.
const tiersOf = new WeakMap<TenantData, TierData>();

function dataOf(tenant: TenantData): TierData {
  let data = tiersOf.get(tenant);
  if (data === undefined) {
    data = new TierData();
    tiersOf.set(tenant, data);
  }
  return data;
}

/** The MemoryStore's {@link TierRepository}. */
export function tierRepository(ctx: TierCtx): TierRepository {
  const { log, tenantId, copy } = ctx;
  const data = dataOf(ctx.data);
  const own = (row: { tenant_id: string }, entity: string): void => {
    if (row.tenant_id !== tenantId) {
      throw new LaasError(
        'INTERNAL_ERROR',
        `A ${entity} of tenant ${JSON.stringify(row.tenant_id)} cannot be written in a transaction of tenant ${JSON.stringify(tenantId)}`,
        { entity, tenant_id: row.tenant_id },
      );
    }
  };
  return {
    async getProgramme() {
      ctx.live();
      const row = data.programme.get(PROGRAMME);
      return row === undefined ? null : copy(row);
    },
    async putProgramme(programme) {
      ctx.live();
      own(programme, 'tier programme');
      log.set(data.programme, PROGRAMME, copy(programme));
      ctx.configChanged();
    },
    async deleteProgramme() {
      ctx.live();
      const deleted = log.delete(data.programme, PROGRAMME);
      if (deleted) ctx.configChanged();
      return deleted;
    },
    async getCustomerTier(customerId) {
      ctx.live();
      const row = data.customers.get(customerId);
      return row === undefined ? null : copy(row);
    },
    async putCustomerTier(row) {
      ctx.live();
      own(row, 'customer tier');
      log.set(data.customers, row.customer_id, copy(row));
    },
    async addToBucket(customerId, measure, day, amount) {
      ctx.live();
      const series = `${customerId}${SEP}${measure}`;
      let days = data.days.get(series);
      if (days === undefined) {
        days = new SortedKeys();
        log.set(data.days, series, days);
      }
      log.insertSorted(days, day);
      const key = `${series}${SEP}${day}`;
      log.set(data.buckets, key, (data.buckets.get(key) ?? 0) + amount);
    },
    async sumBuckets(customerId, measures, fromDay) {
      ctx.live();
      let sum = 0;
      for (const measure of new Set(measures)) {
        const series = `${customerId}${SEP}${measure}`;
        const days = data.days.get(series);
        if (days === undefined) continue;
        for (let i = days.lowerBound(fromDay); i < days.size; i++) {
          sum += data.buckets.get(`${series}${SEP}${days.at(i)}`) ?? 0;
        }
      }
      return sum;
    },
    async listDowngradesDue(now, limit) {
      ctx.live();
      const due: CustomerTier[] = [];
      for (const row of data.customers.values()) {
        if (row.downgrade_due_at !== null && row.downgrade_due_at <= now) due.push(row);
      }
      due.sort((a, b) =>
        (a.downgrade_due_at ?? '') < (b.downgrade_due_at ?? '')
          ? -1
          : (a.downgrade_due_at ?? '') > (b.downgrade_due_at ?? '')
            ? 1
            : a.customer_id < b.customer_id
              ? -1
              : 1,
      );
      return due.slice(0, limit).map((row) => copy(row));
    },
  };
}
