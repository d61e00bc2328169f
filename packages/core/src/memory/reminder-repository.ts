import type { Issuance } from '../domain/issuance.js';
import type { PointsLot } from '../domain/points.js';
import type { ReminderKind, ReminderRepository } from '../ports/repositories.js';
import type { TenantData } from './state.js';
import type { UndoLog } from './undo-log.js';

/** What the reminder repository needs of a MemoryStore transaction. */
export interface ReminderCtx {
  readonly data: TenantData;
  readonly log: UndoLog;
  readonly copy: <T>(value: T) => T;
  /** Throws once the transaction has ended. */
  live(): void;
}

/**
 * The markers of each tenant, `<kind>\u0000<subject id>` → when reminded. Kept beside the tenant's
 * data rather than in it so that the reminders need no change to the shared state classes; every
 * change goes through the undo log like any other map of the store.
 */
const markersOf = new WeakMap<TenantData, Map<string, string>>();

function markers(data: TenantData): Map<string, string> {
  let map = markersOf.get(data);
  if (map === undefined) {
    map = new Map();
    markersOf.set(data, map);
  }
  return map;
}

const key = (kind: ReminderKind, id: string): string => `${kind}\u0000${id}`;

/** The MemoryStore's {@link ReminderRepository}: scans (the store is for tests and dry-runs). */
export function reminderRepository(ctx: ReminderCtx): ReminderRepository {
  const { data, log } = ctx;
  return {
    async listLotsToRemind(now, until, limit) {
      ctx.live();
      const [from, to] = [Date.parse(now), Date.parse(until)];
      const marked = markers(data);
      const lots: PointsLot[] = [];
      for (const lot of data.lots.values()) {
        if (lot.remaining <= 0 || lot.expires_at === null) continue;
        const at = Date.parse(lot.expires_at);
        if (at <= from || at > to || marked.has(key('lot', lot.id))) continue;
        lots.push(lot);
      }
      lots.sort(
        (a, b) =>
          Date.parse(a.expires_at as string) - Date.parse(b.expires_at as string) || (a.id < b.id ? -1 : 1),
      );
      return lots.slice(0, limit).map((lot) => ctx.copy(lot));
    },
    async listIssuancesToRemind(now, until, limit) {
      ctx.live();
      const [from, to] = [Date.parse(now), Date.parse(until)];
      const marked = markers(data);
      const found: Issuance[] = [];
      for (const [id, due] of data.dueIssuances) {
        if (due <= from || due > to || marked.has(key('issuance', id))) continue;
        const issuance = data.issuances.get(id);
        if (issuance === undefined || issuance.state !== 'issued') continue;
        found.push(issuance);
      }
      found.sort(
        (a, b) =>
          Date.parse(a.expires_at as string) - Date.parse(b.expires_at as string) || (a.id < b.id ? -1 : 1),
      );
      return found.slice(0, limit).map((issuance) => ctx.copy(issuance));
    },
    async markReminded(kind, subjectId, at) {
      ctx.live();
      const marked = markers(data);
      const k = key(kind, subjectId);
      if (marked.has(k)) return false;
      log.set(marked, k, at);
      return true;
    },
    async remindedAt(kind, subjectId) {
      ctx.live();
      return markers(data).get(key(kind, subjectId)) ?? null;
    },
  };
}
