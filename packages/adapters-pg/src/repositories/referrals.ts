import {
  type AttributionOutcome,
  ForeignTenantRowError,
  isUuid,
  type Referral,
  type ReferralCode,
  type ReferralCounts,
  type ReferralRepository,
  type ReferralStatus,
} from '@laas/core';
import { type Selectable, sql, type Updateable } from 'kysely';
import { ts, tsOrNull } from '../mapping.js';
import type { ReferralCodesTable, ReferralsTable } from '../schema.js';
import type { TxContext } from './context.js';

function toCode(r: Selectable<ReferralCodesTable>): ReferralCode {
  return { tenant_id: r.tenant_id, customer_id: r.customer_id, code: r.code, created_at: ts(r.created_at) };
}

export function toReferral(r: Selectable<ReferralsTable>): Referral {
  return {
    tenant_id: r.tenant_id,
    referee_id: r.referee_id,
    referrer_id: r.referrer_id,
    code: r.code,
    status: r.status as ReferralStatus,
    attributed_at: ts(r.attributed_at),
    qualified_at: tsOrNull(r.qualified_at),
    qualifying_event_id: r.qualifying_event_id,
    rejected_at: tsOrNull(r.rejected_at),
    rejected_reason: r.rejected_reason,
  };
}

/**
 * The PostgreSQL {@link ReferralRepository}. The guards are the database's: the referee's primary
 * key (a concurrent second attribution waits on the index entry, then inserts nothing) and the
 * referrer's counter row, claimed with `UPDATE ... WHERE referred < max RETURNING` (the row lock
 * serialises claims and the condition is re-checked on the row as it is after the wait).
 */
export function referralRepository(ctx: TxContext): ReferralRepository {
  const { tenantId } = ctx;
  const own = (row: { tenant_id: string }, entity: string) => {
    if (row.tenant_id !== tenantId) throw new ForeignTenantRowError(entity, row.tenant_id, tenantId);
  };
  const guarded = async (refereeId: string, set: Updateable<ReferralsTable>): Promise<Referral | null> => {
    if (!isUuid(refereeId)) return null;
    const row = await ctx.db
      .updateTable('referrals')
      .set(set)
      .where('tenant_id', '=', tenantId)
      .where('referee_id', '=', refereeId)
      .where('status', '=', 'pending')
      .returningAll()
      .executeTakeFirst();
    return row === undefined ? null : toReferral(row);
  };
  return {
    async codeOf(customerId) {
      if (!isUuid(customerId)) return null;
      const row = await ctx.db
        .selectFrom('referral_codes')
        .selectAll()
        .where('tenant_id', '=', tenantId)
        .where('customer_id', '=', customerId)
        .executeTakeFirst();
      return row === undefined ? null : toCode(row);
    },
    async findCode(code) {
      const row = await ctx.db
        .selectFrom('referral_codes')
        .selectAll()
        .where('tenant_id', '=', tenantId)
        .where('code', '=', code)
        .executeTakeFirst();
      return row === undefined ? null : toCode(row);
    },
    async insertCode(row) {
      own(row, 'referral code');
      // Either unique key (the customer's, the code's) makes it a no-op, without aborting the transaction.
      const inserted = await ctx.db
        .insertInto('referral_codes')
        .values({
          tenant_id: row.tenant_id,
          customer_id: row.customer_id,
          code: row.code,
          created_at: row.created_at,
        })
        .onConflict((oc) => oc.doNothing())
        .returning('code')
        .executeTakeFirst();
      return inserted !== undefined;
    },
    async get(refereeId) {
      if (!isUuid(refereeId)) return null;
      const row = await ctx.db
        .selectFrom('referrals')
        .selectAll()
        .where('tenant_id', '=', tenantId)
        .where('referee_id', '=', refereeId)
        .executeTakeFirst();
      return row === undefined ? null : toReferral(row);
    },
    async attribute(referral, max): Promise<AttributionOutcome> {
      own(referral, 'referral');
      const hasCode = await ctx.db
        .selectFrom('referral_codes')
        .select('code')
        .where('tenant_id', '=', tenantId)
        .where('customer_id', '=', referral.referrer_id)
        .executeTakeFirst();
      if (hasCode === undefined) return 'no_code';
      const inserted = await ctx.db
        .insertInto('referrals')
        .values({
          tenant_id: tenantId,
          referee_id: referral.referee_id,
          referrer_id: referral.referrer_id,
          code: referral.code,
          status: 'pending',
          attributed_at: referral.attributed_at,
          qualified_at: null,
          qualifying_event_id: null,
          rejected_at: null,
          rejected_reason: null,
        })
        .onConflict((oc) => oc.doNothing())
        .returning('referee_id')
        .executeTakeFirst();
      if (inserted === undefined) return 'already_attributed';
      const claimed = await ctx.db
        .updateTable('referral_codes')
        .set({ referred: sql<number>`referred + 1` })
        .where('tenant_id', '=', tenantId)
        .where('customer_id', '=', referral.referrer_id)
        .where(max === null ? sql<boolean>`true` : sql<boolean>`referred < ${max}`)
        .returning('referred')
        .executeTakeFirst();
      if (claimed === undefined) {
        // No room: take back the row this call inserted, so that the refusal changes nothing.
        await ctx.db
          .deleteFrom('referrals')
          .where('tenant_id', '=', tenantId)
          .where('referee_id', '=', referral.referee_id)
          .execute();
        return 'cap_reached';
      }
      return 'attributed';
    },
    async qualify(refereeId, eventId, at) {
      return guarded(refereeId, { status: 'qualified', qualified_at: at, qualifying_event_id: eventId });
    },
    async reject(refereeId, reason, at) {
      const after = await guarded(refereeId, {
        status: 'rejected',
        rejected_at: at,
        rejected_reason: reason,
      });
      if (after !== null) {
        await ctx.db
          .updateTable('referral_codes')
          .set({ referred: sql<number>`referred - 1` })
          .where('tenant_id', '=', tenantId)
          .where('customer_id', '=', after.referrer_id)
          .where('referred', '>', 0)
          .execute();
      }
      return after;
    },
    async countsFor(referrerId) {
      const out: ReferralCounts = { pending: 0, qualified: 0, rejected: 0 };
      if (!isUuid(referrerId)) return out;
      const rows = await ctx.db
        .selectFrom('referrals')
        .select(['status', sql<string>`count(*)`.as('n')])
        .where('tenant_id', '=', tenantId)
        .where('referrer_id', '=', referrerId)
        .groupBy('status')
        .execute();
      for (const row of rows) out[row.status as ReferralStatus] = Number(row.n);
      return out;
    },
  };
}
