/**
 * The WhatsApp part of the port contracts (`tx.whatsapp` and the two platform lookups), registered
 * by `describePortContracts` so that every Store runs it. Every test makes its own tenants, phone
 * number ids and verify tokens, so tests never see each other's rows.
 */
import { describe, expect } from 'vitest';
import type { WhatsAppConversation, WhatsAppMessage, WhatsAppSettings } from '../domain/whatsapp.js';
import { newId } from '../ids.js';
import type { Store, Tx } from '../ports/store.js';
import {
  allPages,
  ascendingIds,
  at,
  expectUniqueViolation,
  HOUR,
  ids,
  MINUTE,
  tenantRow,
  unique,
  uniqueDigits,
} from './contract-kit.js';
import { setup } from './fixtures.js';
import type { ConformanceTest } from './port-contracts.js';

function settingsRow(tenantId: string, over: Partial<WhatsAppSettings> = {}): WhatsAppSettings {
  return {
    tenant_id: tenantId,
    phone_number_id: unique('1'),
    display_phone_number: '263771000000',
    access_token_encrypted: 'v1.aes.token',
    app_secret_encrypted: 'v1.aes.secret',
    verify_token: unique('verify-'),
    enrollment_code: 'COFFEE',
    language: 'en',
    strings: { welcome: 'Hi {name}!', 'help.footer': 'Reply HELP' },
    template_name: null,
    template_language: null,
    created_at: at(),
    updated_at: at(),
    ...over,
  };
}

function messageRow(tenantId: string, over: Partial<WhatsAppMessage> = {}): WhatsAppMessage {
  return {
    id: newId(),
    tenant_id: tenantId,
    direction: 'out',
    wa_message_id: null,
    phone: '263771234567',
    kind: 'text',
    body: { type: 'text', text: { body: 'You earned a stamp', preview_url: false } },
    status: 'queued',
    error: null,
    attempts: 0,
    next_attempt_at: at(),
    locked_until: null,
    created_at: at(),
    updated_at: at(),
    ...over,
  };
}

function inboundRow(tenantId: string, over: Partial<WhatsAppMessage> = {}): WhatsAppMessage {
  return messageRow(tenantId, {
    direction: 'in',
    wa_message_id: unique('wamid.'),
    body: 'BALANCE',
    status: 'received',
    next_attempt_at: null,
    ...over,
  });
}

function conversationRow(tenantId: string, phone: string, over: Partial<WhatsAppConversation> = {}) {
  const row: WhatsAppConversation = {
    tenant_id: tenantId,
    phone,
    last_inbound_at: at(),
    pending: null,
    updated_at: at(),
    ...over,
  };
  return row;
}

/** Registers the WhatsApp repository contracts of the Store that `getStore` returns. */
export function describeWhatsAppContracts(getStore: () => Store, test: ConformanceTest): void {
  const run = <T>(tenantId: string, fn: (tx: Tx) => Promise<T>): Promise<T> =>
    getStore().transaction(tenantId, fn);

  async function newTenant(): Promise<string> {
    const id = newId();
    await run(id, (tx) => tx.tenants.insert(tenantRow(id, { name: 'WhatsApp shop' })));
    return id;
  }

  describe('whatsapp', () => {
    test('whatsapp settings: put, get, replace, delete; the platform finds them by phone number id and verify token', async () => {
      const tenantId = await newTenant();
      const platform = getStore().platform;
      expect(await run(tenantId, (tx) => tx.whatsapp.getSettings())).toBeNull();
      expect(await run(tenantId, (tx) => tx.whatsapp.deleteSettings())).toBe(false);

      const first = settingsRow(tenantId);
      await run(tenantId, (tx) => tx.whatsapp.putSettings(first));
      expect(await run(tenantId, (tx) => tx.whatsapp.getSettings())).toEqual(first);
      expect(await platform.findWhatsAppByPhoneNumberId(first.phone_number_id)).toEqual(first);
      expect(await platform.findWhatsAppByVerifyToken(first.verify_token)).toEqual(first);

      // Replacing: the new values are found, the old ones no longer are.
      const second = settingsRow(tenantId, {
        language: 'sn',
        strings: {},
        template_name: 'loyalty_update',
        template_language: 'en_US',
        updated_at: at(HOUR),
      });
      await run(tenantId, (tx) => tx.whatsapp.putSettings(second));
      expect(await run(tenantId, (tx) => tx.whatsapp.getSettings())).toEqual(second);
      expect(await platform.findWhatsAppByPhoneNumberId(second.phone_number_id)).toEqual(second);
      expect(await platform.findWhatsAppByVerifyToken(second.verify_token)).toEqual(second);
      expect(await platform.findWhatsAppByPhoneNumberId(first.phone_number_id)).toBeNull();
      expect(await platform.findWhatsAppByVerifyToken(first.verify_token)).toBeNull();
      // Putting the same values again is no conflict with itself.
      await run(tenantId, (tx) => tx.whatsapp.putSettings({ ...second, enrollment_code: 'TEA' }));
      expect((await run(tenantId, (tx) => tx.whatsapp.getSettings()))?.enrollment_code).toBe('TEA');

      expect(await run(tenantId, (tx) => tx.whatsapp.deleteSettings())).toBe(true);
      expect(await run(tenantId, (tx) => tx.whatsapp.getSettings())).toBeNull();
      expect(await run(tenantId, (tx) => tx.whatsapp.deleteSettings())).toBe(false);
      expect(await platform.findWhatsAppByPhoneNumberId(second.phone_number_id)).toBeNull();
      expect(await platform.findWhatsAppByVerifyToken(second.verify_token)).toBeNull();
      expect(await platform.findWhatsAppByPhoneNumberId(unique('9'))).toBeNull();
      expect(await platform.findWhatsAppByVerifyToken(unique('nope-'))).toBeNull();
    });

    test('whatsapp settings: phone_number_id and verify_token are unique across tenants', async () => {
      const a = await newTenant();
      const b = await newTenant();
      const mine = settingsRow(a);
      await run(a, (tx) => tx.whatsapp.putSettings(mine));
      await expectUniqueViolation(
        run(b, (tx) => tx.whatsapp.putSettings(settingsRow(b, { phone_number_id: mine.phone_number_id }))),
        'phone_number_id',
      );
      await expectUniqueViolation(
        run(b, (tx) => tx.whatsapp.putSettings(settingsRow(b, { verify_token: mine.verify_token }))),
        'verify_token',
      );
      // The refused puts wrote nothing; each tenant's lookups find its own settings.
      expect(await run(b, (tx) => tx.whatsapp.getSettings())).toBeNull();
      const theirs = settingsRow(b);
      await run(b, (tx) => tx.whatsapp.putSettings(theirs));
      const platform = getStore().platform;
      expect((await platform.findWhatsAppByPhoneNumberId(mine.phone_number_id))?.tenant_id).toBe(a);
      expect((await platform.findWhatsAppByVerifyToken(mine.verify_token))?.tenant_id).toBe(a);
      expect((await platform.findWhatsAppByPhoneNumberId(theirs.phone_number_id))?.tenant_id).toBe(b);
      expect((await platform.findWhatsAppByVerifyToken(theirs.verify_token))?.tenant_id).toBe(b);
      // Once A lets go of a value, B may take it.
      await run(a, (tx) => tx.whatsapp.deleteSettings());
      await run(b, (tx) => tx.whatsapp.putSettings({ ...theirs, phone_number_id: mine.phone_number_id }));
      expect((await platform.findWhatsAppByPhoneNumberId(mine.phone_number_id))?.tenant_id).toBe(b);
    });

    test('whatsapp settings: two tenants racing for one phone_number_id, exactly one wins', async () => {
      const tenants = await Promise.all([newTenant(), newTenant(), newTenant()]);
      const phoneNumberId = unique('7');
      const results = await Promise.allSettled(
        tenants.map((t) =>
          run(t, (tx) => tx.whatsapp.putSettings(settingsRow(t, { phone_number_id: phoneNumberId }))),
        ),
      );
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      for (const r of results) {
        if (r.status === 'rejected') expect(r.reason).toMatchObject({ name: 'UniqueViolationError' });
      }
      const winner = tenants[results.findIndex((r) => r.status === 'fulfilled')];
      expect((await getStore().platform.findWhatsAppByPhoneNumberId(phoneNumberId))?.tenant_id).toBe(winner);
    });

    test('whatsapp messages: recordInbound dedupes by wa_message_id per tenant, even concurrently', async () => {
      const a = await newTenant();
      const b = await newTenant();
      const first = inboundRow(a);
      expect(await run(a, (tx) => tx.whatsapp.recordInbound(first))).toBe(true);
      // Meta redelivers: same wa id, new row id; nothing is written.
      expect(
        await run(a, (tx) =>
          tx.whatsapp.recordInbound({ ...inboundRow(a), wa_message_id: first.wa_message_id }),
        ),
      ).toBe(false);
      expect((await run(a, (tx) => tx.whatsapp.listMessages({ limit: 10 }))).items).toEqual([first]);
      // Another tenant's message with the same wa id is independent.
      const elsewhere = inboundRow(b, { wa_message_id: first.wa_message_id });
      expect(await run(b, (tx) => tx.whatsapp.recordInbound(elsewhere))).toBe(true);
      expect((await run(b, (tx) => tx.whatsapp.listMessages({ limit: 10 }))).items).toEqual([elsewhere]);
      // Concurrent redeliveries: exactly one records it.
      const waId = unique('wamid.');
      const recorded = await Promise.all(
        Array.from({ length: 4 }, () =>
          run(a, (tx) => tx.whatsapp.recordInbound(inboundRow(a, { wa_message_id: waId }))),
        ),
      );
      expect(recorded.filter((r) => r)).toHaveLength(1);
      expect((await run(a, (tx) => tx.whatsapp.listMessages({ limit: 10 }))).items).toHaveLength(2);
    });

    test('whatsapp messages: insertOutbound, updateOutbound, unique id and wa_message_id', async () => {
      const tenantId = await newTenant();
      const queued = messageRow(tenantId);
      const skipped = messageRow(tenantId, {
        kind: 'notification',
        status: 'skipped',
        next_attempt_at: null,
        error: 'outside the 24-hour window',
      });
      await run(tenantId, async (tx) => {
        await tx.whatsapp.insertOutbound(queued);
        await tx.whatsapp.insertOutbound(skipped);
      });
      await expectUniqueViolation(
        run(tenantId, (tx) => tx.whatsapp.insertOutbound(queued)),
        'id',
      );
      const sent: WhatsAppMessage = {
        ...queued,
        wa_message_id: unique('wamid.'),
        status: 'sent',
        attempts: 1,
        next_attempt_at: null,
        updated_at: at(MINUTE),
      };
      await run(tenantId, (tx) => tx.whatsapp.updateOutbound(sent));
      await expectUniqueViolation(
        run(tenantId, (tx) =>
          tx.whatsapp.insertOutbound(
            messageRow(tenantId, { wa_message_id: sent.wa_message_id, status: 'sent' }),
          ),
        ),
        'wa_message_id',
      );
      // An unknown id changes nothing.
      await run(tenantId, (tx) => tx.whatsapp.updateOutbound(messageRow(tenantId)));
      const list = (await run(tenantId, (tx) => tx.whatsapp.listMessages({ limit: 10 }))).items;
      expect(list).toEqual([skipped, sent]);
    });

    test('whatsapp messages: applyStatus only moves forward and returns null for an unknown id', async () => {
      const tenantId = await newTenant();
      const waId = unique('wamid.');
      const message = messageRow(tenantId, {
        wa_message_id: waId,
        status: 'sent',
        attempts: 1,
        next_attempt_at: null,
      });
      const inbound = inboundRow(tenantId);
      await run(tenantId, async (tx) => {
        await tx.whatsapp.insertOutbound(message);
        await tx.whatsapp.recordInbound(inbound);
      });
      const apply = (
        status: 'sent' | 'delivered' | 'read' | 'failed',
        offset: number,
        error: string | null = null,
      ) => run(tenantId, (tx) => tx.whatsapp.applyStatus(waId, status, at(offset), error));

      expect(await apply('delivered', MINUTE)).toEqual({
        ...message,
        status: 'delivered',
        updated_at: at(MINUTE),
      });
      // A late `sent` and a repeated `delivered` change nothing.
      expect(await apply('sent', 2 * MINUTE)).toEqual({
        ...message,
        status: 'delivered',
        updated_at: at(MINUTE),
      });
      expect(await apply('delivered', 3 * MINUTE)).toEqual({
        ...message,
        status: 'delivered',
        updated_at: at(MINUTE),
      });
      const read = { ...message, status: 'read' as const, updated_at: at(4 * MINUTE) };
      expect(await apply('read', 4 * MINUTE)).toEqual(read);
      // Nothing moves a read message: neither a late delivery nor a failure.
      expect(await apply('delivered', 5 * MINUTE)).toEqual(read);
      expect(await apply('failed', 5 * MINUTE, 'late failure')).toEqual(read);
      expect(await run(tenantId, (tx) => tx.whatsapp.listMessages({ limit: 10 }))).toMatchObject({
        items: [expect.anything(), read],
      });

      // failed from sent; then final.
      const waId2 = unique('wamid.');
      const other = messageRow(tenantId, { wa_message_id: waId2, status: 'sent', next_attempt_at: null });
      await run(tenantId, (tx) => tx.whatsapp.insertOutbound(other));
      const failed = {
        ...other,
        status: 'failed' as const,
        error: '131047: re-engagement message',
        updated_at: at(HOUR),
      };
      expect(
        await run(tenantId, (tx) => tx.whatsapp.applyStatus(waId2, 'failed', at(HOUR), failed.error)),
      ).toEqual(failed);
      expect(await run(tenantId, (tx) => tx.whatsapp.applyStatus(waId2, 'read', at(2 * HOUR), null))).toEqual(
        failed,
      );

      expect(
        await run(tenantId, (tx) => tx.whatsapp.applyStatus(unique('wamid.'), 'read', at(), null)),
      ).toBeNull();
      // Only outbound messages have receipts.
      expect(
        await run(tenantId, (tx) =>
          tx.whatsapp.applyStatus(inbound.wa_message_id as string, 'read', at(), null),
        ),
      ).toBeNull();
      // Another tenant's receipt does not reach this tenant's message.
      const b = await newTenant();
      expect(await run(b, (tx) => tx.whatsapp.applyStatus(waId2, 'read', at(), null))).toBeNull();
    });

    test('whatsapp messages: claimQueued respects next_attempt_at, leases, limit and order', async () => {
      const tenantId = await newTenant();
      const [i1, i2, i3, i4, i5, i6, i7] = ascendingIds(7) as [
        string,
        string,
        string,
        string,
        string,
        string,
        string,
      ];
      // Oldest first means by id, whatever the due time.
      const oldest = messageRow(tenantId, { id: i1, next_attempt_at: at(-MINUTE) });
      const older = messageRow(tenantId, { id: i2, next_attempt_at: at(-HOUR) });
      const dueNow = messageRow(tenantId, { id: i3, next_attempt_at: at() });
      const later = messageRow(tenantId, { id: i4, next_attempt_at: at(HOUR) });
      const leased = messageRow(tenantId, { id: i5, next_attempt_at: at(-HOUR), locked_until: at(1000) });
      const sent = messageRow(tenantId, {
        id: i6,
        status: 'sent',
        wa_message_id: unique('wamid.'),
        next_attempt_at: at(-HOUR),
      });
      const inbound = inboundRow(tenantId, { id: i7 });
      await run(tenantId, async (tx) => {
        for (const m of [later, leased, sent, dueNow, older, oldest]) await tx.whatsapp.insertOutbound(m);
        await tx.whatsapp.recordInbound(inbound);
      });
      const lease = (offset: number) => at(offset + 30_000);
      expect(await run(tenantId, (tx) => tx.whatsapp.claimQueued(at(), 2, 30_000))).toEqual([
        { ...oldest, locked_until: lease(0) },
        { ...older, locked_until: lease(0) },
      ]);
      expect(await run(tenantId, (tx) => tx.whatsapp.claimQueued(at(), 10, 30_000))).toEqual([
        { ...dueNow, locked_until: lease(0) },
      ]);
      // Leased: nobody gets them again before the lease ends; the other lease has ended by then.
      expect(await run(tenantId, (tx) => tx.whatsapp.claimQueued(at(500), 10, 30_000))).toEqual([]);
      expect(ids(await run(tenantId, (tx) => tx.whatsapp.claimQueued(at(2000), 10, 30_000)))).toEqual([
        leased.id,
      ]);
      expect(ids(await run(tenantId, (tx) => tx.whatsapp.claimQueued(at(HOUR), 10, 30_000)))).toEqual([
        oldest.id,
        older.id,
        dueNow.id,
        later.id,
        leased.id,
      ]);
      // Sent messages leave the queue.
      await run(tenantId, (tx) =>
        tx.whatsapp.updateOutbound({
          ...oldest,
          status: 'sent',
          wa_message_id: unique('wamid.'),
          locked_until: null,
          next_attempt_at: null,
        }),
      );
      expect(ids(await run(tenantId, (tx) => tx.whatsapp.claimQueued(at(2 * HOUR), 10, 30_000)))).toEqual([
        older.id,
        dueNow.id,
        later.id,
        leased.id,
      ]);
      expect(await run(tenantId, (tx) => tx.whatsapp.claimQueued(at(2 * HOUR), 0, 30_000))).toEqual([]);
    });

    test('whatsapp messages: concurrent claimQueued never return the same message', async () => {
      const tenantId = await newTenant();
      const rows = Array.from({ length: 30 }, () => messageRow(tenantId, { next_attempt_at: at(-MINUTE) }));
      await run(tenantId, async (tx) => {
        for (const m of rows) await tx.whatsapp.insertOutbound(m);
      });
      const claimed = await Promise.all(
        Array.from({ length: 4 }, () => run(tenantId, (tx) => tx.whatsapp.claimQueued(at(), 12, 60_000))),
      );
      const all = claimed.flat().map((m) => m.id);
      expect(new Set(all).size).toBe(all.length);
      const rest = await run(tenantId, (tx) => tx.whatsapp.claimQueued(at(), 100, 60_000));
      expect(new Set([...all, ...ids(rest)])).toEqual(new Set(ids(rows)));
      expect(all.length + rest.length).toBe(rows.length);
    });

    test('whatsapp messages: listMessages pages newest first and filters by phone', async () => {
      const tenantId = await newTenant();
      const alice = uniqueDigits();
      const bob = uniqueDigits();
      const rows = ascendingIds(7).map((id, i) =>
        i % 2 === 0
          ? inboundRow(tenantId, { id, phone: i < 4 ? alice : bob })
          : messageRow(tenantId, { id, phone: i < 4 ? alice : bob }),
      );
      await run(tenantId, async (tx) => {
        for (const m of [...rows].reverse()) {
          if (m.direction === 'in') await tx.whatsapp.recordInbound(m);
          else await tx.whatsapp.insertOutbound(m);
        }
      });
      await run(tenantId, async (tx) => {
        const everything = (
          await allPages((cursor) => tx.whatsapp.listMessages({ limit: 2, cursor }))
        ).flat();
        expect(everything).toEqual([...rows].reverse());
        const ofAlice = (
          await allPages((cursor) => tx.whatsapp.listMessages({ limit: 1, cursor, phone: alice }))
        ).flat();
        expect(ids(ofAlice)).toEqual(ids(rows.filter((m) => m.phone === alice)).reverse());
        const firstPage = await tx.whatsapp.listMessages({ limit: 3, phone: bob });
        expect(ids(firstPage.items)).toEqual(ids(rows.filter((m) => m.phone === bob)).reverse());
        expect(firstPage.next_cursor).toBeNull();
        expect(await tx.whatsapp.listMessages({ limit: 10, phone: uniqueDigits() })).toEqual({
          items: [],
          next_cursor: null,
        });
      });
    });

    test('whatsapp conversations: put inserts or replaces, get returns it with its pending confirmation', async () => {
      const tenantId = await newTenant();
      const phone = uniqueDigits();
      expect(await run(tenantId, (tx) => tx.whatsapp.getConversation(phone))).toBeNull();
      const first = conversationRow(tenantId, phone);
      await run(tenantId, (tx) => tx.whatsapp.putConversation(first));
      expect(await run(tenantId, (tx) => tx.whatsapp.getConversation(phone))).toEqual(first);
      const awaiting = conversationRow(tenantId, phone, {
        last_inbound_at: at(MINUTE),
        pending: {
          kind: 'redeem_confirm',
          issuance_id: newId(),
          label: 'Free coffee',
          expires_at: at(6 * MINUTE),
        },
        updated_at: at(MINUTE),
      });
      await run(tenantId, (tx) => tx.whatsapp.putConversation(awaiting));
      expect(await run(tenantId, (tx) => tx.whatsapp.getConversation(phone))).toEqual(awaiting);
      const cleared = { ...awaiting, pending: null, updated_at: at(2 * MINUTE) };
      await run(tenantId, (tx) => tx.whatsapp.putConversation(cleared));
      expect(await run(tenantId, (tx) => tx.whatsapp.getConversation(phone))).toEqual(cleared);
    });

    test('whatsapp: tenant B sees none of tenant A’s settings, messages or conversations', async () => {
      const a = await newTenant();
      const b = await newTenant();
      const phone = uniqueDigits();
      const inbound = inboundRow(a, { phone });
      const outbound = messageRow(a, { phone, next_attempt_at: at(-HOUR) });
      await run(a, async (tx) => {
        await tx.whatsapp.putSettings(settingsRow(a));
        await tx.whatsapp.recordInbound(inbound);
        await tx.whatsapp.insertOutbound(outbound);
        await tx.whatsapp.putConversation(conversationRow(a, phone));
      });
      await run(b, async (tx) => {
        expect(await tx.whatsapp.getSettings()).toBeNull();
        expect(await tx.whatsapp.deleteSettings()).toBe(false);
        expect(await tx.whatsapp.listMessages({ limit: 10 })).toEqual({ items: [], next_cursor: null });
        expect((await tx.whatsapp.listMessages({ limit: 10, phone })).items).toEqual([]);
        expect(await tx.whatsapp.getConversation(phone)).toBeNull();
        expect(await tx.whatsapp.claimQueued(at(HOUR), 10, 1000)).toEqual([]);
        expect(await tx.whatsapp.forgetPhone(phone)).toBe(0);
        // An update of A's message id from B changes nothing.
        await tx.whatsapp
          .updateOutbound({ ...outbound, tenant_id: b, status: 'failed' })
          .catch(() => undefined);
      });
      await run(a, async (tx) => {
        expect(await tx.whatsapp.getSettings()).not.toBeNull();
        expect(await tx.whatsapp.listMessages({ limit: 10 })).toEqual({
          items: [outbound, inbound].sort((x, y) => (x.id < y.id ? 1 : -1)),
          next_cursor: null,
        });
        expect(await tx.whatsapp.getConversation(phone)).toEqual(conversationRow(a, phone));
      });
    });

    test('whatsapp: forgetPhone deletes the conversation and every message of the phone', async () => {
      const tenantId = await newTenant();
      const phone = uniqueDigits();
      const keep = uniqueDigits();
      const waId = unique('wamid.');
      const gone = [
        inboundRow(tenantId, { phone, wa_message_id: waId }),
        messageRow(tenantId, { phone }),
        messageRow(tenantId, { phone, status: 'sent', wa_message_id: unique('wamid.') }),
      ];
      const kept = messageRow(tenantId, { phone: keep });
      await run(tenantId, async (tx) => {
        for (const m of gone) {
          if (m.direction === 'in') await tx.whatsapp.recordInbound(m);
          else await tx.whatsapp.insertOutbound(m);
        }
        await tx.whatsapp.insertOutbound(kept);
        await tx.whatsapp.putConversation(conversationRow(tenantId, phone));
        await tx.whatsapp.putConversation(conversationRow(tenantId, keep));
      });
      expect(await run(tenantId, (tx) => tx.whatsapp.forgetPhone(phone))).toBe(3);
      await run(tenantId, async (tx) => {
        expect(await tx.whatsapp.getConversation(phone)).toBeNull();
        expect((await tx.whatsapp.listMessages({ limit: 10, phone })).items).toEqual([]);
        expect((await tx.whatsapp.listMessages({ limit: 10 })).items).toEqual([kept]);
        expect(await tx.whatsapp.getConversation(keep)).not.toBeNull();
        expect(ids(await tx.whatsapp.claimQueued(at(HOUR), 10, 1000))).toEqual([kept.id]);
      });
      // The forgotten wa id no longer dedupes: a redelivery is recorded afresh.
      expect(
        await run(tenantId, (tx) =>
          tx.whatsapp.recordInbound(inboundRow(tenantId, { phone, wa_message_id: waId })),
        ),
      ).toBe(true);
      expect(await run(tenantId, (tx) => tx.whatsapp.forgetPhone(uniqueDigits()))).toBe(0);
    });

    test('whatsapp: a rolled-back transaction leaves nothing', async () => {
      const tenantId = await newTenant();
      const phone = uniqueDigits();
      const settings = settingsRow(tenantId);
      const inbound = inboundRow(tenantId, { phone });
      const outbound = messageRow(tenantId, { phone, next_attempt_at: at(-HOUR) });
      await expect(
        run(tenantId, async (tx) => {
          await tx.whatsapp.putSettings(settings);
          await tx.whatsapp.recordInbound(inbound);
          await tx.whatsapp.insertOutbound(outbound);
          await tx.whatsapp.putConversation(conversationRow(tenantId, phone));
          throw new Error('roll back');
        }),
      ).rejects.toThrow('roll back');
      await run(tenantId, async (tx) => {
        expect(await tx.whatsapp.getSettings()).toBeNull();
        expect((await tx.whatsapp.listMessages({ limit: 10 })).items).toEqual([]);
        expect(await tx.whatsapp.getConversation(phone)).toBeNull();
        expect(await tx.whatsapp.claimQueued(at(HOUR), 10, 1000)).toEqual([]);
      });
      expect(await getStore().platform.findWhatsAppByPhoneNumberId(settings.phone_number_id)).toBeNull();
      expect(await getStore().platform.findWhatsAppByVerifyToken(settings.verify_token)).toBeNull();
      // Nothing is left behind to dedupe against.
      expect(await run(tenantId, (tx) => tx.whatsapp.recordInbound(inbound))).toBe(true);

      // A rolled-back change of existing rows puts them back as they were.
      await run(tenantId, async (tx) => {
        await tx.whatsapp.putSettings(settings);
        await tx.whatsapp.insertOutbound(outbound);
        await tx.whatsapp.putConversation(conversationRow(tenantId, phone));
      });
      await expect(
        run(tenantId, async (tx) => {
          await tx.whatsapp.deleteSettings();
          await tx.whatsapp.claimQueued(at(), 10, 1000);
          await tx.whatsapp.forgetPhone(phone);
          throw new Error('roll back');
        }),
      ).rejects.toThrow('roll back');
      await run(tenantId, async (tx) => {
        expect(await tx.whatsapp.getSettings()).toEqual(settings);
        expect((await tx.whatsapp.listMessages({ limit: 10 })).items).toEqual([outbound, inbound]);
        expect(await tx.whatsapp.getConversation(phone)).toEqual(conversationRow(tenantId, phone));
      });
      expect((await getStore().platform.findWhatsAppByVerifyToken(settings.verify_token))?.tenant_id).toBe(
        tenantId,
      );
    });

    test('whatsapp: erasing a customer forgets the conversation and messages of their phone, all of which the export held', async () => {
      const { engine, tenant } = await setup(getStore());
      const digits = uniqueDigits();
      const customer = await engine.customers.create(tenant.id, { phone: `+${digits}` });
      const other = uniqueDigits();
      const theirs = [inboundRow(tenant.id, { phone: digits }), messageRow(tenant.id, { phone: digits })];
      await run(tenant.id, async (tx) => {
        await tx.whatsapp.recordInbound(theirs[0]!);
        await tx.whatsapp.insertOutbound(theirs[1]!);
        await tx.whatsapp.insertOutbound(messageRow(tenant.id, { phone: other }));
        await tx.whatsapp.putConversation(conversationRow(tenant.id, digits));
        await tx.whatsapp.putConversation(conversationRow(tenant.id, other));
      });
      // The export (the customer's right of access) holds everything erasure is about to remove.
      const exported = await engine.customers.export(tenant.id, customer.id);
      expect(exported.whatsapp.conversation).toEqual(conversationRow(tenant.id, digits));
      expect(ids(exported.whatsapp.messages).sort()).toEqual(ids(theirs).sort());
      await engine.customers.erase(tenant.id, customer.id);
      await run(tenant.id, async (tx) => {
        expect(await tx.whatsapp.getConversation(digits)).toBeNull();
        expect((await tx.whatsapp.listMessages({ limit: 10, phone: digits })).items).toEqual([]);
        // Other phones are untouched.
        expect(await tx.whatsapp.getConversation(other)).not.toBeNull();
        expect((await tx.whatsapp.listMessages({ limit: 10, phone: other })).items).toHaveLength(1);
      });
      // A customer without a phone erases without touching WhatsApp.
      const anonymous = await engine.customers.create(tenant.id, { external_ref: 'no-phone' });
      await expect(engine.customers.erase(tenant.id, anonymous.id)).resolves.toMatchObject({
        status: 'erased',
      });
    });
  });
}
