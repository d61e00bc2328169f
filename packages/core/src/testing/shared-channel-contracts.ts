/**
 * The shared channels' part of the port contracts (`tx.sharedChannels` and the platform's shared
 * channel methods), registered by `describePortContracts` so that every Store runs it. Every test
 * makes its own tenants, codes and phones.
 */
import { describe, expect } from 'vitest';
import type { Customer } from '../domain/customer.js';
import type { SharedMerchant } from '../domain/shared-channel.js';
import { newId } from '../ids.js';
import type { Store, Tx } from '../ports/store.js';
import { at, rejection, tenantRow, uniqueDigits } from './contract-kit.js';
import type { ConformanceTest } from './port-contracts.js';

let sequence = 0;
/** A fresh merchant code (A-Z0-9, at most 12). */
function code(): string {
  sequence += 1;
  return `M${sequence}${Math.floor(Math.random() * 1e8)}`.slice(0, 12);
}

function merchantRow(tenantId: string, over: Partial<SharedMerchant> = {}): SharedMerchant {
  return {
    tenant_id: tenantId,
    code: code(),
    whatsapp: true,
    ussd: true,
    created_at: at(),
    updated_at: at(),
    ...over,
  };
}

function customer(tenantId: string, phone: string, over: Partial<Customer> = {}): Customer {
  return {
    id: newId(),
    tenant_id: tenantId,
    phone,
    external_ref: null,
    name: null,
    birthday: null,
    attributes: {},
    tags: [],
    status: 'active',
    enrolled_at: at(),
    last_event_at: null,
    stats: { counts: {}, total_spend: 0, points_balance: 0 },
    ...over,
  };
}

/** Registers the shared-channel contracts of the Store that `getStore` returns. */
export function describeSharedChannelContracts(getStore: () => Store, test: ConformanceTest): void {
  const run = <T>(tenantId: string, fn: (tx: Tx) => Promise<T>): Promise<T> =>
    getStore().transaction(tenantId, fn);
  async function newTenant(): Promise<string> {
    const id = newId();
    await run(id, (tx) => tx.tenants.insert(tenantRow(id)));
    return id;
  }

  describe('shared channels', () => {
    test('a tenant puts, replaces and deletes its merchant row; the platform finds it by code', async () => {
      const tenantId = await newTenant();
      expect(await run(tenantId, (tx) => tx.sharedChannels.getMerchant())).toBeNull();
      const first = merchantRow(tenantId);
      await run(tenantId, (tx) => tx.sharedChannels.putMerchant(first));
      expect(await run(tenantId, (tx) => tx.sharedChannels.getMerchant())).toEqual(first);
      expect(await getStore().platform.findSharedMerchant(first.code)).toEqual(first);
      const second = merchantRow(tenantId, { ussd: false, updated_at: at(60_000) });
      await run(tenantId, (tx) => tx.sharedChannels.putMerchant(second));
      expect(await getStore().platform.findSharedMerchant(second.code)).toEqual(second);
      expect(await getStore().platform.findSharedMerchant(first.code)).toBeNull();
      expect(await run(tenantId, (tx) => tx.sharedChannels.deleteMerchant())).toBe(true);
      expect(await run(tenantId, (tx) => tx.sharedChannels.deleteMerchant())).toBe(false);
      expect(await getStore().platform.findSharedMerchant(second.code)).toBeNull();
    });

    test('a merchant code is unique across tenants; the refused put leaves the transaction usable', async () => {
      const a = await newTenant();
      const b = await newTenant();
      const mine = merchantRow(a);
      await run(a, (tx) => tx.sharedChannels.putMerchant(mine));
      const result = await run(b, async (tx) => {
        const refused = await rejection(tx.sharedChannels.putMerchant(merchantRow(b, { code: mine.code })));
        await tx.sharedChannels.putMerchant(merchantRow(b));
        return refused;
      });
      expect(result).toMatchObject({ name: 'UniqueViolationError', field: 'code' });
      expect((await getStore().platform.findSharedMerchant(mine.code))?.tenant_id).toBe(a);
      expect((await run(b, (tx) => tx.sharedChannels.getMerchant()))?.code).not.toBe(mine.code);
    });

    test('a rolled-back put leaves nothing behind', async () => {
      const tenantId = await newTenant();
      const row = merchantRow(tenantId);
      await expect(
        run(tenantId, async (tx) => {
          await tx.sharedChannels.putMerchant(row);
          throw new Error('roll back');
        }),
      ).rejects.toThrow('roll back');
      expect(await run(tenantId, (tx) => tx.sharedChannels.getMerchant())).toBeNull();
      expect(await getStore().platform.findSharedMerchant(row.code)).toBeNull();
    });

    test('the platform stores each shared channel’s configuration', async () => {
      const platform = getStore().platform;
      const whatsapp = {
        channel: 'whatsapp' as const,
        config: { phone_number_id: uniqueDigits() },
        updated_at: at(),
      };
      await platform.putSharedChannel(whatsapp);
      expect(await platform.getSharedChannel('whatsapp')).toEqual(whatsapp);
      const replaced = {
        ...whatsapp,
        config: { phone_number_id: uniqueDigits(), nested: { a: [1] } },
        updated_at: at(1000),
      };
      await platform.putSharedChannel(replaced);
      expect(await platform.getSharedChannel('whatsapp')).toEqual(replaced);
      const ussd = { channel: 'ussd' as const, config: { service_code: '*1#' }, updated_at: at() };
      await platform.putSharedChannel(ussd);
      expect(await platform.getSharedChannel('ussd')).toEqual(ussd);
      expect(await platform.getSharedChannel('whatsapp')).toEqual(replaced);
    });

    test('isolation: a phone lists only the opted-in merchants it belongs to, and can select only those', async () => {
      const platform = getStore().platform;
      const phone = `+${uniqueDigits()}`;
      const [a, b, c, d] = [await newTenant(), await newTenant(), await newTenant(), await newTenant()];
      // a, b: the phone belongs; c: opted in, the phone does not belong; d: the phone belongs, not opted in.
      const ma = merchantRow(a, { code: `A${code()}`.slice(0, 12) });
      const mb = merchantRow(b, { code: `B${code()}`.slice(0, 12), ussd: false });
      const mc = merchantRow(c);
      const md = merchantRow(d, { whatsapp: false, ussd: false });
      for (const [t, m] of [
        [a, ma],
        [b, mb],
        [c, mc],
        [d, md],
      ] as const) {
        await run(t, (tx) => tx.sharedChannels.putMerchant(m));
      }
      for (const t of [a, b, d]) await run(t, (tx) => tx.customers.insert(customer(t, phone)));
      await run(c, (tx) => tx.customers.insert(customer(c, `+${uniqueDigits()}`)));

      expect((await platform.listSharedMerchantsOfPhone(phone, 'whatsapp')).map((m) => m.tenant_id)).toEqual([
        a,
        b,
      ]);
      expect((await platform.listSharedMerchantsOfPhone(phone, 'ussd')).map((m) => m.tenant_id)).toEqual([a]);
      expect(await platform.listSharedMerchantsOfPhone(`+${uniqueDigits()}`, 'whatsapp')).toEqual([]);

      expect(await platform.getSharedSelection(phone)).toBeNull();
      expect(await platform.selectSharedMerchant(phone, c, at())).toBe(false);
      expect(await platform.selectSharedMerchant(phone, d, at())).toBe(false);
      expect(await platform.getSharedSelection(phone)).toBeNull();
      expect(await platform.selectSharedMerchant(phone, a, at())).toBe(true);
      expect(await platform.getSharedSelection(phone)).toBe(a);
      expect(await platform.selectSharedMerchant(phone, b, at(1000))).toBe(true);
      expect(await platform.getSharedSelection(phone)).toBe(b);
      // A refused selection keeps the current one.
      expect(await platform.selectSharedMerchant(phone, c, at(2000))).toBe(false);
      expect(await platform.getSharedSelection(phone)).toBe(b);
    });

    test('an erased customer no longer belongs: not listed, not selectable', async () => {
      const platform = getStore().platform;
      const phone = `+${uniqueDigits()}`;
      const tenantId = await newTenant();
      await run(tenantId, (tx) => tx.sharedChannels.putMerchant(merchantRow(tenantId)));
      const row = customer(tenantId, phone);
      await run(tenantId, (tx) => tx.customers.insert(row));
      expect(await platform.listSharedMerchantsOfPhone(phone, 'whatsapp')).toHaveLength(1);
      await run(tenantId, (tx) => tx.customers.updateProfile({ ...row, status: 'erased' }));
      expect(await platform.listSharedMerchantsOfPhone(phone, 'whatsapp')).toEqual([]);
      expect(await platform.selectSharedMerchant(phone, tenantId, at())).toBe(false);
    });
  });
}
