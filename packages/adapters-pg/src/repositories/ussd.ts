import { StateConflictError, UniqueViolationError, type UssdRepository, type UssdSettings } from '@laas/core';
import { sql } from 'kysely';
import { isUniqueViolation, translateError } from '../errors.js';
import * as m from '../mapping.js';
import type { TxContext } from './context.js';

/**
 * The PostgreSQL {@link UssdRepository}. `putSettings` is one upsert on the tenant's row; a service
 * code another tenant holds fails on the code's own unique index, inside a savepoint so that the
 * transaction stays usable (a failed statement would otherwise abort it).
 */
export function ussdRepository(ctx: TxContext): UssdRepository {
  return {
    async getSettings() {
      const row = await ctx.db
        .selectFrom('ussd_settings')
        .selectAll()
        .where('tenant_id', '=', ctx.tenantId)
        .executeTakeFirst();
      return row ? m.toUssdSettings(row) : null;
    },
    async putSettings(settings: UssdSettings) {
      if (settings.tenant_id !== ctx.tenantId) {
        throw new StateConflictError(
          'These USSD settings belong to another tenant than the transaction\u2019s',
          {
            entity: 'USSD settings',
            tenant_id: settings.tenant_id,
          },
        );
      }
      const { tenant_id: _t, ...values } = m.fromUssdSettings(settings);
      await sql`SAVEPOINT laas_ussd_sp`.execute(ctx.db);
      try {
        await ctx.db
          .insertInto('ussd_settings')
          .values(m.fromUssdSettings(settings))
          .onConflict((oc) => oc.column('tenant_id').doUpdateSet(values))
          .execute();
      } catch (error) {
        await sql`ROLLBACK TO SAVEPOINT laas_ussd_sp`.execute(ctx.db);
        await sql`RELEASE SAVEPOINT laas_ussd_sp`.execute(ctx.db);
        if (isUniqueViolation(error)) {
          const violation = new UniqueViolationError('USSD settings', 'service_code', settings.service_code);
          (violation as { cause?: unknown }).cause = error;
          throw violation;
        }
        throw translateError(error);
      }
      await sql`RELEASE SAVEPOINT laas_ussd_sp`.execute(ctx.db);
    },
    async deleteSettings() {
      const result = await ctx.db
        .deleteFrom('ussd_settings')
        .where('tenant_id', '=', ctx.tenantId)
        .executeTakeFirst();
      return result.numDeletedRows > 0n;
    },
  };
}
