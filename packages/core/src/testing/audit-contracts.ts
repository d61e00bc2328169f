/**
 * The audit trail part of the port contracts (`tx.audit`), registered by `describePortContracts`
 * so that every Store runs it. Every test makes its own tenants.
 */
import { describe, expect } from 'vitest';
import type { AuditEntry } from '../domain/audit.js';
import { newId } from '../ids.js';
import type { Store, Tx } from '../ports/store.js';
import {
  allPages,
  ascendingIds,
  at,
  DAY,
  expectUniqueViolation,
  HOUR,
  rejection,
  tenantRow,
} from './contract-kit.js';
import type { ConformanceTest } from './port-contracts.js';

function entry(tenantId: string, id: string, over: Partial<AuditEntry> = {}): AuditEntry {
  return {
    id,
    tenant_id: tenantId,
    at: at(),
    actor: { kind: 'api_key', id: newId(), role: 'admin' },
    route: { method: 'PATCH', path: '/v1/tenants/:tid/rules/:id' },
    action: 'rule.update',
    entity_type: 'rule',
    entity_id: newId(),
    before: { name: 'Old', active: true, caps: [{ scope: 'customer', limit: 1 }] },
    after: { name: 'New', active: false, caps: [] },
    request_id: 'req-1',
    ...over,
  };
}

/** Registers the audit contracts of the Store that `getStore` returns. */
export function describeAuditContracts(getStore: () => Store, test: ConformanceTest): void {
  const run = <T>(tenantId: string, fn: (tx: Tx) => Promise<T>): Promise<T> =>
    getStore().transaction(tenantId, fn);
  async function newTenant(): Promise<string> {
    const id = newId();
    await run(id, (tx) => tx.tenants.insert(tenantRow(id)));
    return id;
  }
  const listAll = (tenantId: string, filter = {}) =>
    run(tenantId, (tx) => tx.audit.list(filter, { limit: 200 })).then((p) => p.items);

  describe('audit trail', () => {
    test('audit: append and list round-trip every field, newest first; a taken id is refused', async () => {
      const tenantId = await newTenant();
      const [a, b] = ascendingIds(2) as [string, string];
      const first = entry(tenantId, a);
      const second = entry(tenantId, b, {
        actor: { kind: 'platform', id: null, role: 'platform' },
        entity_id: null,
        before: null,
        after: { settings: { auto_enroll: false }, note: 'ünïcode ✓' },
        request_id: null,
        at: at(1000),
      });
      await run(tenantId, async (tx) => {
        await tx.audit.append(first);
        await tx.audit.append(second);
      });
      expect(await listAll(tenantId)).toEqual([second, first]);
      await expectUniqueViolation(
        run(tenantId, (tx) => tx.audit.append(entry(tenantId, a))),
        'id',
      );
    });

    test('audit: list filters by actor, entity, action and time, and pages by cursor', async () => {
      const tenantId = await newTenant();
      const ids = ascendingIds(7);
      const actor = newId();
      const entityId = newId();
      const rows = ids.map((id, i) =>
        entry(tenantId, id, {
          at: at(i * HOUR),
          actor: { kind: i % 2 === 0 ? 'api_key' : 'jwt', id: i % 2 === 0 ? actor : 'sub-1', role: 'admin' },
          action: i < 3 ? 'rule.update' : 'customer.update',
          entity_type: i < 3 ? 'rule' : 'customer',
          entity_id: i === 1 || i === 5 ? entityId : newId(),
        }),
      );
      await run(tenantId, async (tx) => {
        for (const row of rows) await tx.audit.append(row);
      });
      const idsOf = (list: AuditEntry[]) => list.map((r) => r.id);
      const desc = (indexes: number[]) => indexes.map((i) => ids[i]).reverse();
      expect(idsOf(await listAll(tenantId, { actor }))).toEqual(desc([0, 2, 4, 6]));
      expect(idsOf(await listAll(tenantId, { actor: 'sub-1' }))).toEqual(desc([1, 3, 5]));
      expect(idsOf(await listAll(tenantId, { entity_type: 'rule' }))).toEqual(desc([0, 1, 2]));
      expect(idsOf(await listAll(tenantId, { entity_id: entityId }))).toEqual(desc([1, 5]));
      expect(idsOf(await listAll(tenantId, { action: 'customer.update' }))).toEqual(desc([3, 4, 5, 6]));
      expect(idsOf(await listAll(tenantId, { from: at(2 * HOUR), to: at(5 * HOUR) }))).toEqual(
        desc([2, 3, 4]),
      );
      expect(
        idsOf(await listAll(tenantId, { action: 'customer.update', actor, from: at(4 * HOUR) })),
      ).toEqual(desc([4, 6]));
      expect(await listAll(tenantId, { action: 'webhook.create' })).toEqual([]);

      const pages = await allPages((cursor) =>
        run(tenantId, (tx) => tx.audit.list({}, { limit: 3, cursor })),
      );
      expect(pages.map((p) => p.length)).toEqual([3, 3, 1]);
      expect(pages.flat().map((r) => r.id)).toEqual([...ids].reverse());
      const filtered = await allPages((cursor) =>
        run(tenantId, (tx) => tx.audit.list({ actor }, { limit: 2, cursor })),
      );
      expect(filtered.flat().map((r) => r.id)).toEqual(desc([0, 2, 4, 6]));
      expect(
        await rejection(run(tenantId, (tx) => tx.audit.list({}, { limit: 2, cursor: 'not-a-cursor' }))),
      ).toMatchObject({ code: 'VALIDATION_ERROR' });
    });

    test('audit: purge deletes the rows before the instant and only those, of this tenant only', async () => {
      const tenantId = await newTenant();
      const other = await newTenant();
      const ids = ascendingIds(4);
      await run(tenantId, async (tx) => {
        for (const [i, id] of ids.entries()) await tx.audit.append(entry(tenantId, id, { at: at(i * DAY) }));
      });
      const otherId = newId();
      await run(other, (tx) => tx.audit.append(entry(other, otherId, { at: at(-10 * DAY) })));
      expect(await run(tenantId, (tx) => tx.audit.purge(at(2 * DAY)))).toBe(2);
      expect((await listAll(tenantId)).map((r) => r.id)).toEqual([ids[3], ids[2]]);
      expect(await run(tenantId, (tx) => tx.audit.purge(at(2 * DAY)))).toBe(0);
      expect((await listAll(other)).map((r) => r.id)).toEqual([otherId]);
    });

    test('audit: tenants never see or write each other’s rows', async () => {
      const a = await newTenant();
      const b = await newTenant();
      const mine = entry(a, newId());
      await run(a, (tx) => tx.audit.append(mine));
      expect(await listAll(b)).toEqual([]);
      expect(await listAll(b, { entity_id: mine.entity_id as string })).toEqual([]);
      expect(await run(b, (tx) => tx.audit.purge(at(365 * DAY)))).toBe(0);
      expect(await rejection(run(b, (tx) => tx.audit.append(entry(a, newId()))))).toBeInstanceOf(Error);
      expect(await listAll(a)).toEqual([mine]);
    });

    test('audit: a row appended in a transaction that rolls back is not there', async () => {
      const tenantId = await newTenant();
      const kept = entry(tenantId, newId());
      await run(tenantId, (tx) => tx.audit.append(kept));
      const boom = new Error('the change failed');
      const refused = await rejection(
        run(tenantId, async (tx) => {
          await tx.audit.append(entry(tenantId, newId()));
          await tx.audit.purge(at(365 * DAY));
          throw boom;
        }),
      );
      expect(refused).toBe(boom);
      expect(await listAll(tenantId)).toEqual([kept]);
    });
  });
}
