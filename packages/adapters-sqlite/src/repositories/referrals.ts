import type {
  AttributionOutcome,
  Referral,
  ReferralCode,
  ReferralCounts,
  ReferralRepository,
  ReferralStatus,
} from '@laas/core';
import { toTs, toTsOrNull } from '../mapping/helpers.js';
import { defineSql } from '../query.js';
import type { ReferralCodesTable, ReferralsTable } from '../schema.js';
import type { Scope } from './scope.js';

const codeOf = defineSql(
  'SELECT * FROM referral_codes WHERE tenant_id = @tenant_id AND customer_id = @customer_id',
);
const findCode = defineSql('SELECT * FROM referral_codes WHERE tenant_id = @tenant_id AND code = @code');
/** Either unique key (the customer's, the code's) makes it a no-op. */
const insertCode = defineSql(
  `INSERT INTO referral_codes (tenant_id, customer_id, code, referred, created_at)
   VALUES (@tenant_id, @customer_id, @code, 0, @created_at) ON CONFLICT DO NOTHING`,
);
const getReferral = defineSql(
  'SELECT * FROM referrals WHERE tenant_id = @tenant_id AND referee_id = @referee_id',
);
const insertReferral = defineSql(
  `INSERT INTO referrals (tenant_id, referee_id, referrer_id, code, status, attributed_at, qualified_at,
     qualifying_event_id, rejected_at, rejected_reason)
   VALUES (@tenant_id, @referee_id, @referrer_id, @code, 'pending', @attributed_at, NULL, NULL, NULL, NULL)
   ON CONFLICT DO NOTHING`,
);
/** The cap's guard: counts one more attribution only while there is room. */
const claimSlot = defineSql(
  `UPDATE referral_codes SET referred = referred + 1
   WHERE tenant_id = @tenant_id AND customer_id = @referrer_id AND (@max IS NULL OR referred < @max)`,
);
const releaseSlot = defineSql(
  `UPDATE referral_codes SET referred = referred - 1
   WHERE tenant_id = @tenant_id AND customer_id = @referrer_id AND referred > 0`,
);
const hasCode = defineSql(
  'SELECT 1 AS one FROM referral_codes WHERE tenant_id = @tenant_id AND customer_id = @referrer_id',
);
const deleteReferral = defineSql(
  'DELETE FROM referrals WHERE tenant_id = @tenant_id AND referee_id = @referee_id',
);
const qualify = defineSql(
  `UPDATE referrals SET status = 'qualified', qualified_at = @at, qualifying_event_id = @event_id
   WHERE tenant_id = @tenant_id AND referee_id = @referee_id AND status = 'pending' RETURNING *`,
);
const reject = defineSql(
  `UPDATE referrals SET status = 'rejected', rejected_at = @at, rejected_reason = @reason
   WHERE tenant_id = @tenant_id AND referee_id = @referee_id AND status = 'pending' RETURNING *`,
);
const counts = defineSql(
  `SELECT status, count(*) AS n FROM referrals WHERE tenant_id = @tenant_id AND referrer_id = @referrer_id
   GROUP BY status`,
);

function codeFromRow(row: ReferralCodesTable): ReferralCode {
  return {
    tenant_id: row.tenant_id,
    customer_id: row.customer_id,
    code: row.code,
    created_at: row.created_at,
  };
}

function referralFromRow(row: ReferralsTable): Referral {
  return {
    tenant_id: row.tenant_id,
    referee_id: row.referee_id,
    referrer_id: row.referrer_id,
    code: row.code,
    status: row.status as ReferralStatus,
    attributed_at: row.attributed_at,
    qualified_at: row.qualified_at,
    qualifying_event_id: row.qualifying_event_id,
    rejected_at: row.rejected_at,
    rejected_reason: row.rejected_reason,
  };
}

/**
 * The SQLite {@link ReferralRepository}. SQLite runs one write transaction at a time, so the
 * guards could not race anyway; they are still written as guarded statements, like PostgreSQL's.
 */
export class SqliteReferralRepository implements ReferralRepository {
  constructor(private readonly s: Scope) {}

  async codeOf(customerId: string): Promise<ReferralCode | null> {
    const row = this.s.r.get<ReferralCodesTable>(codeOf, {
      tenant_id: this.s.tenantId,
      customer_id: customerId,
    });
    return row === undefined ? null : codeFromRow(row);
  }

  async findCode(code: string): Promise<ReferralCode | null> {
    const row = this.s.r.get<ReferralCodesTable>(findCode, { tenant_id: this.s.tenantId, code });
    return row === undefined ? null : codeFromRow(row);
  }

  async insertCode(row: ReferralCode): Promise<boolean> {
    this.s.own(row, 'referral code');
    return this.s.r.run(insertCode, { ...row, created_at: toTs(row.created_at) }) > 0;
  }

  async get(refereeId: string): Promise<Referral | null> {
    const row = this.s.r.get<ReferralsTable>(getReferral, {
      tenant_id: this.s.tenantId,
      referee_id: refereeId,
    });
    return row === undefined ? null : referralFromRow(row);
  }

  async attribute(referral: Referral, max: number | null): Promise<AttributionOutcome> {
    this.s.own(referral, 'referral');
    const key = { tenant_id: this.s.tenantId, referrer_id: referral.referrer_id };
    if (this.s.r.get(hasCode, key) === undefined) return 'no_code';
    const row = { ...referral, attributed_at: toTs(referral.attributed_at) };
    if (this.s.r.run(insertReferral, row) === 0) return 'already_attributed';
    if (this.s.r.run(claimSlot, { ...key, max }) === 0) {
      // No room: take back the row this call inserted, so that the refusal changes nothing.
      this.s.r.run(deleteReferral, { tenant_id: this.s.tenantId, referee_id: referral.referee_id });
      return 'cap_reached';
    }
    return 'attributed';
  }

  async qualify(refereeId: string, eventId: string, at: string): Promise<Referral | null> {
    const row = this.s.r.get<ReferralsTable>(qualify, {
      tenant_id: this.s.tenantId,
      referee_id: refereeId,
      event_id: eventId,
      at: toTs(at),
    });
    return row === undefined ? null : referralFromRow(row);
  }

  async reject(refereeId: string, reason: string, at: string): Promise<Referral | null> {
    const row = this.s.r.get<ReferralsTable>(reject, {
      tenant_id: this.s.tenantId,
      referee_id: refereeId,
      reason,
      at: toTsOrNull(at),
    });
    if (row === undefined) return null;
    this.s.r.run(releaseSlot, { tenant_id: this.s.tenantId, referrer_id: row.referrer_id });
    return referralFromRow(row);
  }

  async countsFor(referrerId: string): Promise<ReferralCounts> {
    const out: ReferralCounts = { pending: 0, qualified: 0, rejected: 0 };
    for (const { status, n } of this.s.r.all<{ status: ReferralStatus; n: number }>(counts, {
      tenant_id: this.s.tenantId,
      referrer_id: referrerId,
    })) {
      out[status] = n;
    }
    return out;
  }
}
