import type { CustomerRef, EarnedReads, IngestOpening } from '@laas/core';
import type { Selectable } from 'kysely';
import { sql } from 'kysely';
import * as m from '../mapping.js';
import type { EventsTable, ReferralsTable } from '../schema.js';
import { batch, sendHeldEvents, type TxContext, validId } from './context.js';
import { countEarnedQuery, lastEarnedQuery } from './issuances.js';
import { toReferral } from './referrals.js';
import { tenantQuery, toVersionedTenant } from './tenants.js';

type EventRow = Selectable<EventsTable>;
type CustomerRow = m.CustomerRow;
type TenantRow = m.TenantRow;
type ReferralRow = Selectable<ReferralsTable>;

/**
 * `Tx.openIngest` in one round trip: three statements in one message (pipeline.ts), the customer
 * chosen and locked by one of them, so that no second customer is ever locked by a lookup that
 * matched it by another field.
 */
export function openIngest(ctx: TxContext) {
  return async (idempotencyKey: string, ref: CustomerRef, earned: EarnedReads): Promise<IngestOpening> => {
    const { db, tenantId } = ctx;
    await sendHeldEvents(ctx);
    const seen = db
      .selectFrom('events')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('idempotency_key', '=', idempotencyKey);
    // The customer's id by the engine's order: `id`, else `external_ref`, else `phone`.
    let chosen = db.selectFrom('customers').select('id').where('tenant_id', '=', tenantId);
    if (ref.id !== undefined) {
      chosen = chosen.where('id', '=', validId(ref.id) ? ref.id : null);
    } else {
      const externalRef = ref.external_ref ?? null;
      const phone = ref.phone ?? null;
      chosen = chosen
        .where((eb) => eb.or([eb('external_ref', '=', externalRef), eb('phone', '=', phone)]))
        .orderBy(sql`coalesce(external_ref = ${externalRef}, false)`, 'desc')
        .limit(1);
    }
    const customer = db
      .selectFrom('customers')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('id', '=', chosen)
      .forUpdate();
    const referral = db
      .selectFrom('referrals')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('referee_id', '=', chosen);
    const history = [
      ...earned.last.map((ruleId) => lastEarnedQuery(ctx, ruleId, chosen)),
      ...earned.counts.map(({ ruleId, since }) => countEarnedQuery(ctx, ruleId, chosen, since)),
    ];
    const tenant = tenantQuery(ctx);
    const [tenants, events, customers, referrals, ...answers] = (await batch(ctx, [
      tenant,
      seen,
      customer,
      referral,
      ...history,
    ])) as [
      TenantRow[],
      EventRow[],
      CustomerRow[],
      ReferralRow[],
      ...Array<Array<{ last?: unknown; n?: unknown }>>,
    ];
    const last = answers
      .slice(0, earned.last.length)
      .map(([row]) => (row?.last ? m.ts(row.last as Date) : null));
    const counts = answers.slice(earned.last.length).map(([row]) => m.int((row?.n ?? 0) as string));
    const locked = customers[0] === undefined ? null : m.toCustomer(customers[0]);
    if (locked !== null) ctx.held.customers.set(locked.id, locked);
    const tenantRow = tenants[0];
    return {
      tenant: tenantRow === undefined ? null : toVersionedTenant(tenantRow),
      seen: events[0] === undefined ? null : m.toEvent(events[0]),
      customer: locked,
      referral: referrals[0] === undefined ? null : toReferral(referrals[0]),
      earned: { last, counts },
    };
  };
}
