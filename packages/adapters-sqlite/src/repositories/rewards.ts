import type { CodePoolRepository, Page, PageRequest, Reward, RewardRepository, Timestamp } from '@laas/core';
import { sql } from 'kysely';
import { toTs } from '../mapping/helpers.js';
import { rewardFromRow, rewardToRow } from '../mapping/reward.js';
import { defineQuery, defineSql, p } from '../query.js';
import { getRow, insertDef, listPage, type Scope, updateDef } from './scope.js';

export class SqliteRewardRepository implements RewardRepository {
  constructor(private readonly s: Scope) {}

  async insert(reward: Reward): Promise<void> {
    const row = this.s.own(rewardToRow(reward), 'reward');
    this.s.unique('reward', row, () => this.s.r.run(insertDef('rewards', row), row));
  }

  async get(id: string): Promise<Reward | null> {
    const row = getRow(this.s, 'rewards', id);
    return row === undefined ? null : rewardFromRow(row);
  }

  async update(reward: Reward): Promise<void> {
    const row = this.s.own(rewardToRow(reward), 'reward');
    this.s.r.run(updateDef('rewards', row), row);
  }

  async list(page: PageRequest): Promise<Page<Reward>> {
    return listPage(this.s, 'rewards', page, rewardFromRow);
  }
}

const addCode = defineQuery((db) =>
  db
    .insertInto('reward_codes')
    .values({
      tenant_id: p('tenant_id'),
      reward_id: p('reward_id'),
      code: p('code'),
      issuance_id: null,
      added_at: p('added_at'),
    })
    .onConflict((oc) => oc.doNothing()),
);
/**
 * One statement: take the first free code of the pool (upload order) and hand it out. SQLite runs
 * one writer at a time, so no two draws can take the same row; `issuance_id IS NULL` is checked
 * again by the UPDATE's own WHERE for good measure.
 */
const drawCode = defineQuery((db) =>
  db
    .updateTable('reward_codes')
    .set({ issuance_id: p('issuance_id') })
    .where(
      sql<boolean>`rowid = (SELECT rowid FROM reward_codes WHERE tenant_id = ${p('tenant_id')} AND reward_id = ${p('reward_id')} AND issuance_id IS NULL ORDER BY rowid LIMIT 1)`,
    )
    .where('issuance_id', 'is', null)
    .returning('code'),
);
const countCodes = defineQuery((db) =>
  db
    .selectFrom('reward_codes')
    .select([
      sql<number>`coalesce(sum(issuance_id IS NULL), 0)`.as('available'),
      sql<number>`coalesce(sum(issuance_id IS NOT NULL), 0)`.as('used'),
    ])
    .where('tenant_id', '=', p('tenant_id'))
    .where('reward_id', '=', p('reward_id')),
);

const takeBack = defineQuery((db) =>
  db
    .deleteFrom('reward_codes')
    .where('tenant_id', '=', p('tenant_id'))
    .where('reward_id', '=', p('reward_id'))
    .where('code', '=', p('code'))
    .where('issuance_id', 'is not', null)
    .returning('added_at'),
);

export class SqliteCodePoolRepository implements CodePoolRepository {
  constructor(private readonly s: Scope) {}

  async add(
    rewardId: string,
    codes: string[],
    at: Timestamp,
  ): Promise<{ added: number; duplicates: string[] }> {
    const base = { tenant_id: this.s.tenantId, reward_id: rewardId, added_at: toTs(at) };
    let added = 0;
    const duplicates: string[] = [];
    for (const code of codes) {
      if (this.s.r.run(addCode, { ...base, code }) > 0) added++;
      else duplicates.push(code);
    }
    return { added, duplicates };
  }

  async draw(rewardId: string, issuanceId: string): Promise<string | null> {
    const row = this.s.r.get<{ code: string }>(drawCode, {
      tenant_id: this.s.tenantId,
      reward_id: rewardId,
      issuance_id: issuanceId,
    });
    return row === undefined ? null : row.code;
  }

  async counts(rewardId: string): Promise<{ available: number; used: number }> {
    const row = this.s.r.get<{ available: number; used: number }>(countCodes, {
      tenant_id: this.s.tenantId,
      reward_id: rewardId,
    });
    return { available: row?.available ?? 0, used: row?.used ?? 0 };
  }

  /**
   * Frees a drawn code. Deleted and inserted again, so that it gets a new rowid and joins the end
   * of the free codes (draw takes them in rowid order), as a code pushed back onto the queue.
   */
  async release(rewardId: string, code: string): Promise<void> {
    const key = { tenant_id: this.s.tenantId, reward_id: rewardId, code };
    const row = this.s.r.get<{ added_at: string }>(takeBack, key);
    if (row !== undefined) this.s.r.run(addCode, { ...key, added_at: row.added_at });
  }

  async find(code: string): Promise<Array<{ reward_id: string; issuance_id: string | null }>> {
    return this.s.r.all<{ reward_id: string; issuance_id: string | null }>(findCode, {
      tenant_id: this.s.tenantId,
      code,
    });
  }
}

const findCode = defineSql(
  'SELECT reward_id, issuance_id FROM reward_codes WHERE tenant_id = @tenant_id AND code = @code ORDER BY reward_id',
);
