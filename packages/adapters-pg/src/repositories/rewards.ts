import type { CodePoolRepository, Reward, RewardRepository } from '@laas/core';
import { sql } from 'kysely';
import { translated } from '../errors.js';
import * as m from '../mapping.js';
import { ownRow, paginate, type TxContext, table, validId } from './context.js';

export function rewardRepository(ctx: TxContext): RewardRepository {
  return {
    async insert(reward: Reward) {
      ownRow(ctx, reward.tenant_id, 'reward');
      await translated(() => ctx.db.insertInto('rewards').values(m.fromReward(reward)).execute());
    },
    async get(id) {
      if (!validId(id)) return null;
      const row = await ctx.db
        .selectFrom('rewards')
        .selectAll()
        .where('tenant_id', '=', ctx.tenantId)
        .where('id', '=', id)
        .executeTakeFirst();
      return row ? m.toReward(row) : null;
    },
    async update(reward) {
      const { tenant_id: _t, id: _id, created_at: _c, ...values } = m.fromReward(reward);
      await ctx.db
        .updateTable('rewards')
        .set(values)
        .where('tenant_id', '=', ctx.tenantId)
        .where('id', '=', reward.id)
        .execute();
    },
    async list(page) {
      return paginate(
        page,
        (after, limit) => {
          let q = ctx.db.selectFrom('rewards').selectAll().where('tenant_id', '=', ctx.tenantId);
          if (after !== undefined) q = q.where('id', '<', after);
          return q.orderBy('id', 'desc').limit(limit).execute();
        },
        m.toReward,
      );
    },
  };
}

export function codePoolRepository(ctx: TxContext): CodePoolRepository {
  return {
    async find(code) {
      const { rows } = await sql<{ reward_id: string; issuance_id: string | null }>`
        SELECT reward_id::text AS reward_id, issuance_id::text AS issuance_id
        FROM ${table(ctx, 'reward_codes')}
        WHERE tenant_id = ${ctx.tenantId}::uuid AND code = ${code}
        ORDER BY reward_id`.execute(ctx.db);
      return rows;
    },
    async add(rewardId, codes, at) {
      if (codes.length === 0) return { added: 0, duplicates: [] };
      const { rows } = await sql<{ code: string }>`
        INSERT INTO ${table(ctx, 'reward_codes')} (tenant_id, reward_id, code, added_at)
        SELECT ${ctx.tenantId}::uuid, ${rewardId}::uuid, c, ${at}::timestamptz
        FROM unnest(${codes}::text[]) AS c
        ON CONFLICT DO NOTHING
        RETURNING code`.execute(ctx.db);
      const inserted = new Set(rows.map((r) => r.code));
      const duplicates: string[] = [];
      for (const code of codes) {
        if (inserted.has(code)) inserted.delete(code);
        else duplicates.push(code);
      }
      return { added: rows.length, duplicates };
    },
    async draw(rewardId, issuanceId) {
      // SKIP LOCKED: concurrent draws take different free codes instead of queueing on one; the
      // row lock held until commit means a code is handed to at most one issuance.
      const codes = table(ctx, 'reward_codes');
      const { rows } = await sql<{ code: string }>`
        UPDATE ${codes} SET issuance_id = ${issuanceId}::uuid
        WHERE (tenant_id, reward_id, code) = (
          SELECT tenant_id, reward_id, code FROM ${codes}
          WHERE tenant_id = ${ctx.tenantId}::uuid AND reward_id = ${rewardId}::uuid AND issuance_id IS NULL
          ORDER BY code
          LIMIT 1
          FOR UPDATE SKIP LOCKED)
        RETURNING code`.execute(ctx.db);
      return rows[0]?.code ?? null;
    },
    async counts(rewardId) {
      if (!validId(rewardId)) return { available: 0, used: 0 };
      const { rows } = await sql<{ available: string; used: string }>`
        SELECT count(*) FILTER (WHERE issuance_id IS NULL) AS available,
               count(*) FILTER (WHERE issuance_id IS NOT NULL) AS used
        FROM ${table(ctx, 'reward_codes')}
        WHERE tenant_id = ${ctx.tenantId}::uuid AND reward_id = ${rewardId}::uuid`.execute(ctx.db);
      const row = rows[0];
      return { available: m.int(row?.available ?? 0), used: m.int(row?.used ?? 0) };
    },
    async release(rewardId, code) {
      await ctx.db
        .updateTable('reward_codes')
        .set({ issuance_id: null })
        .where('tenant_id', '=', ctx.tenantId)
        .where('reward_id', '=', rewardId)
        .where('code', '=', code)
        .execute();
    },
  };
}
