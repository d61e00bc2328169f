import { type CapRepository, capWindowKey, type GlobalCapClaim } from '@laas/core';
import { sql } from 'kysely';
import * as m from '../mapping.js';
import { type TxContext, table } from './context.js';

export function capRepository(ctx: TxContext): CapRepository {
  const counters = () => table(ctx, 'cap_counters');
  const where = (claim: GlobalCapClaim) =>
    sql`tenant_id = ${ctx.tenantId}::uuid AND rule_id = ${claim.ruleId}::uuid
        AND cap_key = ${claim.capKey} AND window_key = ${capWindowKey(claim.window)}`;
  return {
    async claimGlobal(claim) {
      await sql`
        INSERT INTO ${counters()} (tenant_id, rule_id, cap_key, window_key, count)
        VALUES (${ctx.tenantId}::uuid, ${claim.ruleId}::uuid, ${claim.capKey}, ${capWindowKey(claim.window)}, 0)
        ON CONFLICT DO NOTHING`.execute(ctx.db);
      if (claim.window.kind === 'rolling') {
        // Serialise the rule's claimers on the counter row, then count what they committed.
        await sql`SELECT 1 FROM ${counters()} WHERE ${where(claim)} FOR UPDATE`.execute(ctx.db);
        const used = await ctx.db
          .selectFrom('issuances')
          .select((eb) => eb.fn.countAll<string>().as('n'))
          .where('tenant_id', '=', ctx.tenantId)
          .where('rule_id', '=', claim.ruleId)
          .where('earned_at', '>=', new Date(claim.window.since))
          .executeTakeFirstOrThrow();
        return m.int(used.n) < claim.max;
      }
      const { rows } = await sql`
        UPDATE ${counters()} SET count = count + 1
        WHERE ${where(claim)} AND count < ${claim.max}::bigint
        RETURNING count`.execute(ctx.db);
      return rows.length === 1;
    },
    async releaseGlobal(claim) {
      if (claim.window.kind === 'rolling') return;
      await sql`
        UPDATE ${counters()} SET count = count - 1
        WHERE ${where(claim)} AND count > 0`.execute(ctx.db);
    },
  };
}
