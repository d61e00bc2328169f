/**
 * The USSD part of the port contracts (`tx.ussd` and `platform.findUssdByServiceCode`), registered
 * by `describePortContracts` so that every Store runs it. Every test makes its own tenants and
 * service codes, so tests never see each other's rows.
 */
import { describe, expect } from 'vitest';
import type { UssdSettings } from '../domain/ussd.js';
import { newId } from '../ids.js';
import type { Store, Tx } from '../ports/store.js';
import { at, rejection, tenantRow } from './contract-kit.js';
import type { ConformanceTest } from './port-contracts.js';

let sequence = 0;
/** A fresh service code such as `*384*1203917#`. */
function serviceCode(): string {
  sequence += 1;
  return `*384*${sequence}${Math.floor(Math.random() * 1_000_000)}#`;
}

function settingsRow(tenantId: string, over: Partial<UssdSettings> = {}): UssdSettings {
  return {
    tenant_id: tenantId,
    service_code: serviceCode(),
    language: 'en',
    strings: { 'menu.balance': 'Points', welcome: 'Mauya ku {shop}' },
    allow_join: true,
    callback_secret_hash: 'a'.repeat(64),
    allowed_ips: ['196.201.214.0/24', '2001:db8::/32'],
    created_at: at(),
    updated_at: at(),
    ...over,
  } as UssdSettings;
}

/** Registers the USSD contracts of the Store that `getStore` returns. */
export function describeUssdContracts(getStore: () => Store, test: ConformanceTest): void {
  const run = <T>(tenantId: string, fn: (tx: Tx) => Promise<T>): Promise<T> =>
    getStore().transaction(tenantId, fn);
  async function newTenant(): Promise<string> {
    const id = newId();
    await run(id, (tx) => tx.tenants.insert(tenantRow(id)));
    return id;
  }

  describe('ussd settings', () => {
    test('put, get, replace and delete one tenant’s settings; the platform finds them by service code', async () => {
      const tenantId = await newTenant();
      expect(await run(tenantId, (tx) => tx.ussd.getSettings())).toBeNull();
      const first = settingsRow(tenantId);
      await run(tenantId, (tx) => tx.ussd.putSettings(first));
      expect(await run(tenantId, (tx) => tx.ussd.getSettings())).toEqual(first);
      expect(await getStore().platform.findUssdByServiceCode(first.service_code)).toEqual(first);

      const second = settingsRow(tenantId, {
        language: 'sn',
        strings: {},
        allow_join: false,
        callback_secret_hash: null,
        allowed_ips: [],
        updated_at: at(60_000),
      });
      await run(tenantId, (tx) => tx.ussd.putSettings(second));
      expect(await run(tenantId, (tx) => tx.ussd.getSettings())).toEqual(second);
      expect(await getStore().platform.findUssdByServiceCode(second.service_code)).toEqual(second);
      // The replaced code is free again.
      expect(await getStore().platform.findUssdByServiceCode(first.service_code)).toBeNull();

      expect(await run(tenantId, (tx) => tx.ussd.deleteSettings())).toBe(true);
      expect(await run(tenantId, (tx) => tx.ussd.deleteSettings())).toBe(false);
      expect(await run(tenantId, (tx) => tx.ussd.getSettings())).toBeNull();
      expect(await getStore().platform.findUssdByServiceCode(second.service_code)).toBeNull();
      expect(await getStore().platform.findUssdByServiceCode('*0#')).toBeNull();
    });

    test('a service code is unique across tenants; the refused put leaves the transaction usable', async () => {
      const a = await newTenant();
      const b = await newTenant();
      const mine = settingsRow(a);
      await run(a, (tx) => tx.ussd.putSettings(mine));
      const other = settingsRow(b);
      await run(b, async (tx) => {
        const error = await rejection(tx.ussd.putSettings({ ...other, service_code: mine.service_code }));
        expect(error).toMatchObject({
          name: 'UniqueViolationError',
          field: 'service_code',
          code: 'STATE_CONFLICT',
        });
        expect(await tx.ussd.getSettings()).toBeNull();
        await tx.ussd.putSettings(other);
      });
      expect(await run(b, (tx) => tx.ussd.getSettings())).toEqual(other);
      expect(await getStore().platform.findUssdByServiceCode(mine.service_code)).toEqual(mine);
      // Putting its own code again is no conflict.
      await run(a, (tx) => tx.ussd.putSettings({ ...mine, allow_join: false }));
      expect((await run(a, (tx) => tx.ussd.getSettings()))?.allow_join).toBe(false);
      // Once A lets go of the code, B may take it.
      await run(a, (tx) => tx.ussd.deleteSettings());
      await run(b, (tx) => tx.ussd.putSettings({ ...other, service_code: mine.service_code }));
      expect((await getStore().platform.findUssdByServiceCode(mine.service_code))?.tenant_id).toBe(b);
    });

    test('two tenants claiming one service code at once: exactly one wins', async () => {
      const code = serviceCode();
      const tenants = await Promise.all([newTenant(), newTenant(), newTenant()]);
      const results = await Promise.allSettled(
        tenants.map((t) => run(t, (tx) => tx.ussd.putSettings(settingsRow(t, { service_code: code })))),
      );
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      for (const r of results) {
        if (r.status === 'rejected') expect(r.reason).toMatchObject({ field: 'service_code' });
      }
      const winner = tenants[results.findIndex((r) => r.status === 'fulfilled')];
      expect((await getStore().platform.findUssdByServiceCode(code))?.tenant_id).toBe(winner);
    });

    test('tenant isolation: another tenant neither sees, deletes nor writes the settings', async () => {
      const a = await newTenant();
      const b = await newTenant();
      const mine = settingsRow(a);
      await run(a, (tx) => tx.ussd.putSettings(mine));
      expect(await run(b, (tx) => tx.ussd.getSettings())).toBeNull();
      expect(await run(b, (tx) => tx.ussd.deleteSettings())).toBe(false);
      // A row of tenant A written in B's transaction is refused (or, at worst, a no-op).
      await run(b, (tx) => tx.ussd.putSettings({ ...mine, allow_join: false })).catch(() => undefined);
      expect(await run(a, (tx) => tx.ussd.getSettings())).toEqual(mine);
      expect(await run(b, (tx) => tx.ussd.getSettings())).toBeNull();
    });

    test('a rolled-back transaction leaves no settings and no claimed service code', async () => {
      const a = await newTenant();
      const b = await newTenant();
      const row = settingsRow(a);
      const error = await rejection(
        run(a, async (tx) => {
          await tx.ussd.putSettings(row);
          throw new Error('boom');
        }),
      );
      expect(error).toMatchObject({ message: 'boom' });
      expect(await run(a, (tx) => tx.ussd.getSettings())).toBeNull();
      expect(await getStore().platform.findUssdByServiceCode(row.service_code)).toBeNull();
      await run(b, (tx) => tx.ussd.putSettings(settingsRow(b, { service_code: row.service_code })));
      // A rolled-back delete keeps the settings.
      await rejection(
        run(b, async (tx) => {
          expect(await tx.ussd.deleteSettings()).toBe(true);
          throw new Error('boom');
        }),
      );
      expect((await getStore().platform.findUssdByServiceCode(row.service_code))?.tenant_id).toBe(b);
    });
  });
}
