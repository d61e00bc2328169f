import type { CustomerTier, TierProgramme, TierRepository } from '@laas/core';
import { defineSql } from '../query.js';
import type { Scope } from './scope.js';

interface ProgrammeRow {
  tenant_id: string;
  measure: string;
  event_types: string;
  qualifying_window: string;
  grace: string;
  levels: string;
  version: number;
  created_at: string;
  updated_at: string;
}

const getProgramme = defineSql('SELECT * FROM tier_programmes WHERE tenant_id = @tenant_id');
const putProgramme = defineSql(
  `INSERT INTO tier_programmes (tenant_id, measure, event_types, qualifying_window, grace, levels, version, created_at, updated_at)
   VALUES (@tenant_id, @measure, @event_types, @qualifying_window, @grace, @levels, @version, @created_at, @updated_at)
   ON CONFLICT (tenant_id) DO UPDATE SET measure = excluded.measure, event_types = excluded.event_types,
     qualifying_window = excluded.qualifying_window, grace = excluded.grace, levels = excluded.levels, version = excluded.version,
     created_at = excluded.created_at, updated_at = excluded.updated_at`,
);
const deleteProgramme = defineSql('DELETE FROM tier_programmes WHERE tenant_id = @tenant_id');
const getCustomerTier = defineSql(
  'SELECT * FROM customer_tiers WHERE tenant_id = @tenant_id AND customer_id = @customer_id',
);
const putCustomerTier = defineSql(
  `INSERT INTO customer_tiers (tenant_id, customer_id, tier, since, qualifying_value, downgrade_due_at,
     programme_version, updated_at)
   VALUES (@tenant_id, @customer_id, @tier, @since, @qualifying_value, @downgrade_due_at, @programme_version, @updated_at)
   ON CONFLICT (tenant_id, customer_id) DO UPDATE SET tier = excluded.tier, since = excluded.since,
     qualifying_value = excluded.qualifying_value, downgrade_due_at = excluded.downgrade_due_at,
     programme_version = excluded.programme_version, updated_at = excluded.updated_at`,
);
/** One atomic increment: the upsert adds to the stored value. */
const addToBucket = defineSql(
  `INSERT INTO tier_buckets (tenant_id, customer_id, measure, day, value)
   VALUES (@tenant_id, @customer_id, @measure, @day, @amount)
   ON CONFLICT (tenant_id, customer_id, measure, day) DO UPDATE SET value = value + excluded.value`,
);
/** `measures` is a JSON array: one prepared statement whatever their number. */
const sumBuckets = defineSql(
  `SELECT COALESCE(SUM(value), 0) AS total FROM tier_buckets
   WHERE tenant_id = @tenant_id AND customer_id = @customer_id
     AND measure IN (SELECT value FROM json_each(@measures)) AND day >= @from_day`,
);
const listDue = defineSql(
  `SELECT * FROM customer_tiers
   WHERE tenant_id = @tenant_id AND downgrade_due_at IS NOT NULL AND downgrade_due_at <= @now
   ORDER BY downgrade_due_at, customer_id LIMIT @limit`,
);

function programmeFromRow(row: ProgrammeRow): TierProgramme {
  return {
    tenant_id: row.tenant_id,
    measure: row.measure as TierProgramme['measure'],
    event_types: JSON.parse(row.event_types) as string[],
    window: JSON.parse(row.qualifying_window) as TierProgramme['window'],
    grace: row.grace,
    levels: JSON.parse(row.levels) as TierProgramme['levels'],
    version: row.version,
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
}

export class SqliteTierRepository implements TierRepository {
  constructor(private readonly s: Scope) {}

  async getProgramme(): Promise<TierProgramme | null> {
    const row = this.s.r.get<ProgrammeRow>(getProgramme, { tenant_id: this.s.tenantId });
    return row === undefined ? null : programmeFromRow(row);
  }

  async putProgramme(programme: TierProgramme): Promise<void> {
    this.s.own(programme, 'tier programme');
    this.s.r.run(putProgramme, {
      ...programme,
      event_types: JSON.stringify(programme.event_types),
      qualifying_window: JSON.stringify(programme.window),
      levels: JSON.stringify(programme.levels),
    });
  }

  async deleteProgramme(): Promise<boolean> {
    return this.s.r.run(deleteProgramme, { tenant_id: this.s.tenantId }) > 0;
  }

  async getCustomerTier(customerId: string): Promise<CustomerTier | null> {
    const row = this.s.r.get<CustomerTier>(getCustomerTier, {
      tenant_id: this.s.tenantId,
      customer_id: customerId,
    });
    return row === undefined ? null : { ...row };
  }

  async putCustomerTier(row: CustomerTier): Promise<void> {
    this.s.r.run(putCustomerTier, this.s.own(row, 'customer tier'));
  }

  async addToBucket(customerId: string, measure: string, day: string, amount: number): Promise<void> {
    this.s.r.run(addToBucket, { tenant_id: this.s.tenantId, customer_id: customerId, measure, day, amount });
  }

  async sumBuckets(customerId: string, measures: readonly string[], fromDay: string): Promise<number> {
    const row = this.s.r.get<{ total: number }>(sumBuckets, {
      tenant_id: this.s.tenantId,
      customer_id: customerId,
      measures: JSON.stringify([...measures]),
      from_day: fromDay,
    });
    return row?.total ?? 0;
  }

  async listDowngradesDue(now: string, limit: number): Promise<CustomerTier[]> {
    return this.s.r
      .all<CustomerTier>(listDue, { tenant_id: this.s.tenantId, now, limit })
      .map((row) => ({ ...row }));
  }
}
