import { NotFoundError } from '../errors.js';
import type { Operation } from './operation.js';
import { applyDueDowngrades, customerTierView, DOWNGRADE_BATCH, putTierProgramme } from './tiers.js';
import type { Engine } from './types.js';

type InTenant = <T>(tenantId: string, fn: (op: Operation) => Promise<T>, readOnly?: boolean) => Promise<T>;

/** `engine.tiers`: each method one transaction of the tenant (see engine/tiers.ts). */
export function tierOperations(inTenant: InTenant, clock: () => Date): Engine['tiers'] {
  return {
    get: (tenantId) => inTenant(tenantId, (op) => op.tx.tiers.getProgramme(), true),
    put: (tenantId, input) => inTenant(tenantId, (op) => putTierProgramme(op, input)),
    delete: (tenantId) =>
      inTenant(tenantId, async (op) => {
        if (!(await op.tx.tiers.deleteProgramme())) throw new NotFoundError('tier programme', tenantId);
      }),
    customer: (tenantId, customerId) => inTenant(tenantId, (op) => customerTierView(op, customerId)),
    async applyDue(tenantId, now) {
      const at = (now ?? clock()).toISOString();
      let changed = 0;
      for (;;) {
        const batch = await inTenant(tenantId, (op) => applyDueDowngrades(op, at));
        changed += batch.changed;
        if (batch.due < DOWNGRADE_BATCH) return changed;
      }
    },
  };
}
