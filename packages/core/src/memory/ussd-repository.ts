import type { UssdSettings } from '../domain/ussd.js';
import { LaasError } from '../errors.js';
import type { UssdRepository } from '../ports/repositories.js';
import { UniqueViolationError } from '../ports/store.js';
import { copy } from './copy.js';
import type { StoreState } from './state.js';
import type { UndoLog } from './undo-log.js';

/** What the USSD repository needs of a MemoryStore transaction. */
export interface UssdCtx {
  readonly tenantId: string;
  readonly state: StoreState;
  readonly log: UndoLog;
  /** Throws once the transaction has ended. */
  live(): void;
}

/** The settings holding `serviceCode`, of whichever tenant, copied; null when none (a platform read). */
export function findUssdSettings(state: StoreState, serviceCode: string): UssdSettings | null {
  const tenantId = state.ussdByServiceCode.get(serviceCode);
  const settings = tenantId === undefined ? undefined : state.ussdSettings.get(tenantId);
  return settings === undefined ? null : copy(settings);
}

/**
 * The MemoryStore's {@link UssdRepository}. Settings live in the store-wide state (keyed by
 * tenant) next to the cross-tenant service-code index; every change goes through the undo log.
 */
export function ussdRepository(ctx: UssdCtx): UssdRepository {
  const { state, log, tenantId } = ctx;
  return {
    async getSettings() {
      ctx.live();
      const settings = state.ussdSettings.get(tenantId);
      return settings === undefined ? null : copy(settings);
    },
    async putSettings(settings) {
      ctx.live();
      if (settings.tenant_id !== tenantId) {
        throw new LaasError(
          'INTERNAL_ERROR',
          `USSD settings of tenant ${JSON.stringify(settings.tenant_id)} cannot be written in a transaction of tenant ${JSON.stringify(tenantId)}`,
          { entity: 'USSD settings', tenant_id: settings.tenant_id },
        );
      }
      const holder = state.ussdByServiceCode.get(settings.service_code);
      if (holder !== undefined && holder !== tenantId) {
        throw new UniqueViolationError('USSD settings', 'service_code', settings.service_code);
      }
      const before = state.ussdSettings.get(tenantId);
      if (before !== undefined && before.service_code !== settings.service_code) {
        log.delete(state.ussdByServiceCode, before.service_code);
      }
      log.set(state.ussdSettings, tenantId, copy(settings));
      log.set(state.ussdByServiceCode, settings.service_code, tenantId);
    },
    async deleteSettings() {
      ctx.live();
      const before = state.ussdSettings.get(tenantId);
      if (before === undefined) return false;
      log.delete(state.ussdSettings, tenantId);
      log.delete(state.ussdByServiceCode, before.service_code);
      return true;
    },
  };
}
