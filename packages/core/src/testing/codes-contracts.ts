/**
 * Voucher codes generated into a pool (`engine.rewards.generateCodes`) and validated without
 * redeeming (`engine.issuances.validateCode`), through the public engine, on any Store. Every
 * test makes its own tenants.
 */
import fc from 'fast-check';
import { describe, expect } from 'vitest';
import { SAFE_CODE_ALPHABET } from '../domain/voucher-code.js';
import { ValidationError } from '../errors.js';
import type { Store } from '../ports/store.js';
import { rejection } from './contract-kit.js';
import { DAY, setup, uniqueKey, uniquePhone } from './fixtures.js';
import type { ConformanceTest } from './port-contracts.js';

/** One event-loop turn per generated case (see properties.ts). */
const breathe = () => new Promise<void>((resolve) => setImmediate(resolve));

export function describeCodesContracts(getStore: () => Store, test: ConformanceTest): void {
  describe('voucher codes', () => {
    test('codes: generated to the pattern (length, safe charset, prefix, digits), unique, only for vouchers', async () => {
      const { engine, tenant } = await setup(getStore());
      const t = tenant.id;
      const voucher = await engine.rewards.create(t, { name: 'Voucher', type: 'voucher', value: 5 });
      const safe = await engine.rewards.generateCodes(t, voucher.id, {
        count: 500,
        length: 8,
        prefix: 'KOFI-',
      });
      expect(safe.added).toBe(500);
      expect(new Set(safe.codes).size).toBe(500);
      for (const code of safe.codes) {
        expect(code).toMatch(/^KOFI-[A-HJKMNP-Z2-9]{8}$/);
        expect(code.slice(5)).not.toMatch(/[01OIL]/);
      }
      const digits = await engine.rewards.generateCodes(t, voucher.id, {
        count: 50,
        length: 6,
        charset: 'digits',
      });
      for (const code of digits.codes) expect(code).toMatch(/^[0-9]{6}$/);
      expect(await engine.rewards.codeCounts(t, voucher.id)).toEqual({ available: 550, used: 0 });
      // Every character of the safe alphabet turns up (no character is left out).
      expect(new Set(safe.codes.flatMap((c) => [...c.slice(5)])).size).toBe(SAFE_CODE_ALPHABET.length);

      const points = await engine.rewards.create(t, { name: 'Points', type: 'points', value: 1 });
      const refused = await rejection(engine.rewards.generateCodes(t, points.id, { count: 1, length: 6 }));
      expect(refused).toBeInstanceOf(ValidationError);
      expect((refused as ValidationError).details).toMatchObject({ issues: [{ path: 'reward_id' }] });
      for (const bad of [
        { count: 0, length: 8 },
        { count: 100_001, length: 8 },
        { count: 1, length: 5 },
        { count: 1, length: 33 },
        { count: 1, length: 8, prefix: 'kofi' },
        { count: 1, length: 8, prefix: 'A'.repeat(17) },
        { count: 1, length: 8, charset: 'hex' },
      ]) {
        expect(await rejection(engine.rewards.generateCodes(t, voucher.id, bad as never))).toBeInstanceOf(
          ValidationError,
        );
      }
      expect(await engine.rewards.codeCounts(t, voucher.id)).toEqual({ available: 550, used: 0 });
    });

    test('codes: validate answers each state without changing anything; another tenant sees not_found', async () => {
      const { engine, clock, tenant } = await setup(getStore());
      const t = tenant.id;
      const voucher = await engine.rewards.create(t, {
        name: 'Free coffee',
        type: 'voucher',
        value: 5,
        validity: '2d',
      });
      const manual = await engine.rewards.create(t, {
        name: 'Cake',
        type: 'voucher',
        value: 3,
        issue_mode: 'manual',
      });
      await engine.rewards.uploadCodes(t, voucher.id, { codes: ['A1', 'A2', 'A3', 'A4', 'A5', 'SPARE'] });
      await engine.rewards.uploadCodes(t, manual.id, { codes: ['M1'] });
      await engine.rules.create(t, { name: 'coffee', event_types: ['visit'], reward_id: voucher.id });
      await engine.rules.create(t, { name: 'cake', event_types: ['birthday'], reward_id: manual.id });
      const visit = async (phone: string) =>
        engine.ingest(t, { idempotency_key: uniqueKey(), type: 'visit', customer: { phone } });
      const phones = [uniquePhone(), uniquePhone(), uniquePhone(), uniquePhone(), uniquePhone()];
      const issued = [];
      for (const phone of phones) issued.push((await visit(phone)).issuances[0]);
      const reserved = (
        await engine.ingest(t, {
          idempotency_key: uniqueKey(),
          type: 'birthday',
          customer: { phone: phones[0] },
        })
      ).issuances[0];
      const [ok, toRedeem, toCancel, toBlock, toExpire] = issued.map((i) => i as NonNullable<typeof i>);
      if (ok === undefined || toRedeem === undefined || toCancel === undefined || toBlock === undefined)
        throw new Error('unreachable');
      await engine.redeem(t, { code: toRedeem.code as string });
      await engine.cancel(t, toCancel.id, 'test');
      await engine.customers.setStatus(t, toBlock.customer_id, 'blocked');

      const v = (code: string) => engine.issuances.validateCode(t, code);
      expect(await v(ok.code as string)).toEqual({
        code: ok.code,
        redeemable: true,
        reason: null,
        issuance_id: ok.id,
        customer_id: ok.customer_id,
        reward: { id: voucher.id, name: 'Free coffee', type: 'voucher', value: 5 },
        state: 'issued',
        expires_at: ok.expires_at,
      });
      expect(await v(toRedeem.code as string)).toMatchObject({
        redeemable: false,
        reason: 'redeemed',
        state: 'redeemed',
      });
      expect(await v(toCancel.code as string)).toMatchObject({ redeemable: false, reason: 'cancelled' });
      expect(await v(toBlock.code as string)).toMatchObject({
        redeemable: false,
        reason: 'customer_blocked',
        customer_id: toBlock.customer_id,
      });
      expect(await v(reserved?.code as string)).toMatchObject({
        redeemable: false,
        reason: 'reserved',
        issuance_id: reserved?.id,
        reward: { id: manual.id },
      });
      expect(await v('SPARE')).toMatchObject({
        redeemable: false,
        reason: 'not_issued_yet',
        issuance_id: null,
        reward: { id: voucher.id },
      });
      expect(await v('NOPE')).toMatchObject({ redeemable: false, reason: 'not_found', reward: null });

      // Past the validity, before the worker expired it: expired already.
      clock.advance(3 * DAY);
      expect(await v(toExpire?.code as string)).toMatchObject({
        redeemable: false,
        reason: 'expired',
        state: 'issued',
      });
      await engine.expireDue(t);
      expect(await v(toExpire?.code as string)).toMatchObject({ reason: 'expired', state: 'expired' });

      // Validating changed nothing: the counts and the outbox are as they were.
      const before = await engine.outbox.list(t, { limit: 200 });
      for (let i = 0; i < 3; i++) await v('SPARE');
      expect(await engine.outbox.list(t, { limit: 200 })).toEqual(before);
      expect(await engine.rewards.codeCounts(t, voucher.id)).toEqual({ available: 1, used: 5 });

      // Another tenant does not see the first tenant's codes.
      const other = await engine.tenants.create({ name: 'Other shop' });
      for (const code of [ok.code as string, 'SPARE'])
        expect(await engine.issuances.validateCode(other.id, code)).toMatchObject({ reason: 'not_found' });
    });

    test('codes (property): generated codes never collide with uploaded ones; each is handed to at most one issuance', async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.uniqueArray(fc.stringMatching(/^[0-9]{6}$/), { minLength: 1, maxLength: 40 }),
          fc.integer({ min: 1, max: 60 }),
          fc.integer({ min: 0, max: 30 }),
          async (uploaded, count, visits) => {
            await breathe();
            const { engine, tenant } = await setup(getStore());
            const t = tenant.id;
            const voucher = await engine.rewards.create(t, { name: 'V', type: 'voucher', value: 1 });
            await engine.rewards.uploadCodes(t, voucher.id, { codes: uploaded });
            const generated = await engine.rewards.generateCodes(t, voucher.id, {
              count,
              length: 6,
              charset: 'digits',
            });
            expect(generated.added).toBe(count);
            expect(new Set(generated.codes).size).toBe(count);
            const taken = new Set(uploaded);
            for (const code of generated.codes) expect(taken.has(code)).toBe(false);
            const pool = uploaded.length + count;
            expect(await engine.rewards.codeCounts(t, voucher.id)).toEqual({ available: pool, used: 0 });

            await engine.rules.create(t, { name: 'v', event_types: ['visit'], reward_id: voucher.id });
            const handed = new Map<string, string>();
            for (let i = 0; i < visits; i++) {
              const result = await engine.ingest(t, {
                idempotency_key: uniqueKey(),
                type: 'visit',
                customer: { phone: uniquePhone() },
              });
              for (const issuance of result.issuances) {
                expect(issuance.code).not.toBeNull();
                expect(handed.has(issuance.code as string)).toBe(false);
                handed.set(issuance.code as string, issuance.id);
              }
            }
            expect(handed.size).toBe(Math.min(visits, pool));
            const all = new Set([...uploaded, ...generated.codes]);
            for (const code of handed.keys()) expect(all.has(code)).toBe(true);
          },
        ),
        { numRuns: 15 },
      );
    }, 120_000);
  });
}
