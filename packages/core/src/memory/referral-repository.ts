import type { Referral, ReferralCode, ReferralCounts } from '../domain/referral.js';
import { ForeignTenantRowError } from '../errors.js';
import type { AttributionOutcome, ReferralRepository } from '../ports/repositories.js';
import { copy } from './copy.js';
import type { StoreState } from './state.js';
import type { UndoLog } from './undo-log.js';

/** What the referral repository needs of a MemoryStore transaction. */
export interface ReferralCtx {
  readonly tenantId: string;
  readonly state: StoreState;
  readonly log: UndoLog;
  /** Throws once the transaction has ended. */
  live(): void;
}

/** One tenant's referral rows. Every map is changed through the undo log only. */
class ReferralData {
  /** customer id → the customer's code row. */
  readonly codeByCustomer = new Map<string, ReferralCode>();
  /** code → customer id (unique in the tenant). */
  readonly customerByCode = new Map<string, string>();
  /** referee id → the attribution. */
  readonly referrals = new Map<string, Referral>();
  /** referrer id → its attributions by status; pending + qualified is the cap counter. */
  readonly counts = new Map<string, ReferralCounts>();
}

/**
 * Kept beside the store's state rather than in it, so that the referral tables stay one module of
 * their own; a state object lives as long as its store, and so do its referral rows.
 */
const byState = new WeakMap<StoreState, Map<string, ReferralData>>();

function dataOf(state: StoreState, tenantId: string): ReferralData {
  let tenants = byState.get(state);
  if (tenants === undefined) {
    tenants = new Map();
    byState.set(state, tenants);
  }
  let data = tenants.get(tenantId);
  if (data === undefined) {
    // An empty bucket is invisible, so creating one needs no undo step.
    data = new ReferralData();
    tenants.set(tenantId, data);
  }
  return data;
}

const NONE: ReferralCounts = { pending: 0, qualified: 0, rejected: 0 };

/**
 * The MemoryStore's {@link ReferralRepository}. The store runs one transaction at a time and each
 * method runs to its end without awaiting, so the guards are exact; rollback undoes every change.
 */
export function referralRepository(ctx: ReferralCtx): ReferralRepository {
  const { log, tenantId } = ctx;
  const data = (): ReferralData => dataOf(ctx.state, tenantId);
  const own = (row: { tenant_id: string }, entity: string) => {
    if (row.tenant_id !== tenantId) throw new ForeignTenantRowError(entity, row.tenant_id, tenantId);
  };
  const bump = (d: ReferralData, referrerId: string, change: Partial<ReferralCounts>) => {
    const before = d.counts.get(referrerId) ?? NONE;
    log.set(d.counts, referrerId, {
      pending: before.pending + (change.pending ?? 0),
      qualified: before.qualified + (change.qualified ?? 0),
      rejected: before.rejected + (change.rejected ?? 0),
    });
  };
  const move = (refereeId: string, next: (r: Referral) => Referral): Referral | null => {
    const d = data();
    const current = d.referrals.get(refereeId);
    if (current === undefined || current.status !== 'pending') return null;
    const after = next(current);
    log.set(d.referrals, refereeId, after);
    bump(d, after.referrer_id, { pending: -1, [after.status]: 1 });
    return copy(after);
  };
  return {
    async codeOf(customerId) {
      ctx.live();
      const row = data().codeByCustomer.get(customerId);
      return row === undefined ? null : copy(row);
    },
    async findCode(code) {
      ctx.live();
      const d = data();
      const customerId = d.customerByCode.get(code);
      const row = customerId === undefined ? undefined : d.codeByCustomer.get(customerId);
      return row === undefined ? null : copy(row);
    },
    async insertCode(row) {
      ctx.live();
      own(row, 'referral code');
      const d = data();
      if (d.codeByCustomer.has(row.customer_id) || d.customerByCode.has(row.code)) return false;
      log.set(d.codeByCustomer, row.customer_id, copy(row));
      log.set(d.customerByCode, row.code, row.customer_id);
      return true;
    },
    async get(refereeId) {
      ctx.live();
      const row = data().referrals.get(refereeId);
      return row === undefined ? null : copy(row);
    },
    async attribute(referral, max): Promise<AttributionOutcome> {
      ctx.live();
      own(referral, 'referral');
      const d = data();
      if (d.referrals.has(referral.referee_id)) return 'already_attributed';
      if (!d.codeByCustomer.has(referral.referrer_id)) return 'no_code';
      const counts = d.counts.get(referral.referrer_id) ?? NONE;
      if (max !== null && counts.pending + counts.qualified >= max) return 'cap_reached';
      log.set(d.referrals, referral.referee_id, { ...copy(referral), status: 'pending' });
      bump(d, referral.referrer_id, { pending: 1 });
      return 'attributed';
    },
    async qualify(refereeId, eventId, at) {
      ctx.live();
      return move(refereeId, (r) => ({
        ...r,
        status: 'qualified',
        qualified_at: at,
        qualifying_event_id: eventId,
      }));
    },
    async reject(refereeId, reason, at) {
      ctx.live();
      return move(refereeId, (r) => ({ ...r, status: 'rejected', rejected_at: at, rejected_reason: reason }));
    },
    async countsFor(referrerId) {
      ctx.live();
      return { ...(data().counts.get(referrerId) ?? NONE) };
    },
  };
}
