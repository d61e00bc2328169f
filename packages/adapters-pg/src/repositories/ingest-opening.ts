import type { CustomerRef, IngestOpening } from '@laas/core';
import { sql } from 'kysely';
import * as m from '../mapping.js';
import { batch, type TxContext, validId } from './context.js';
import { toReferral } from './referrals.js';

/**
 * `Tx.openIngest` in one round trip: three statements in one message (pipeline.ts), the customer
 * chosen and locked by one of them, so that no second customer is ever locked by a lookup that
 * matched it by another field.
 */
export function openIngest(ctx: TxContext) {
  return async (idempotencyKey: string, ref: CustomerRef): Promise<IngestOpening> => {
    const { db, tenantId } = ctx;
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
    const [events, customers, referrals] = await batch(ctx, [seen, customer, referral]);
    const locked = customers[0] === undefined ? null : m.toCustomer(customers[0]);
    if (locked !== null) ctx.locked.set(locked.id, locked);
    return {
      seen: events[0] === undefined ? null : m.toEvent(events[0]),
      customer: locked,
      referral: referrals[0] === undefined ? null : toReferral(referrals[0]),
    };
  };
}
