import type { PointsLedgerEntry, PointsLedgerKind, PointsLot } from '@laas/core';
import type { PointsLedgerTable, PointsLotsTable } from '../schema.js';
import { orNull, toTs, toTsOrNull } from './helpers.js';

export function pointsLotToRow(l: PointsLot): PointsLotsTable {
  return {
    tenant_id: l.tenant_id,
    id: l.id,
    customer_id: l.customer_id,
    issuance_id: orNull(l.issuance_id),
    earned_at: toTs(l.earned_at),
    expires_at: toTsOrNull(l.expires_at),
    amount: l.amount,
    remaining: l.remaining,
  };
}

export function pointsLotFromRow(r: PointsLotsTable): PointsLot {
  return {
    id: r.id,
    tenant_id: r.tenant_id,
    customer_id: r.customer_id,
    issuance_id: r.issuance_id,
    earned_at: r.earned_at,
    expires_at: r.expires_at,
    amount: r.amount,
    remaining: r.remaining,
  };
}

export function pointsLedgerToRow(e: PointsLedgerEntry): PointsLedgerTable {
  return {
    tenant_id: e.tenant_id,
    id: e.id,
    customer_id: e.customer_id,
    kind: e.kind,
    amount: e.amount,
    lot_id: orNull(e.lot_id),
    issuance_id: orNull(e.issuance_id),
    at: toTs(e.at),
    reason: e.reason ?? null,
    actor: e.actor ?? null,
  };
}

export function pointsLedgerFromRow(r: PointsLedgerTable): PointsLedgerEntry {
  return {
    id: r.id,
    tenant_id: r.tenant_id,
    customer_id: r.customer_id,
    kind: r.kind as PointsLedgerKind,
    amount: r.amount,
    lot_id: r.lot_id,
    issuance_id: r.issuance_id,
    at: r.at,
    reason: r.reason,
    actor: r.actor,
  };
}
