import { describe, expect, it } from 'vitest';
import { createRulesEngine, RuleEvaluationError } from '../src/index.js';
import { MODES } from './helpers.js';

const at = (iso: string, timeZone: string) => ({ now: new Date(iso), timeZone });

describe.each(MODES)('codegen: $codegen', ({ codegen }) => {
  const engine = createRulesEngine({ codegen });
  const ev = (rule: unknown, env: { now: Date; timeZone: string }, ctx: unknown = {}) =>
    engine.compile(rule).evaluate(ctx, env);
  describe('days_since', () => {
    it('counts local calendar days (Africa/Harare, UTC+2)', () => {
      const env = at('2024-06-15T22:30:00Z', 'Africa/Harare'); // 2024-06-16 00:30 in Harare
      expect(ev({ days_since: '2024-06-15' }, env)).toBe(1);
      expect(ev({ days_since: '2024-06-15' }, at('2024-06-15T22:30:00Z', 'UTC'))).toBe(0);
      expect(ev({ days_since: '2024-06-01' }, env)).toBe(15);
      expect(ev({ days_since: '2024-06-20' }, env)).toBe(-4);
    });

    it('converts ISO instants into the zone (Pacific/Auckland, UTC+13 in summer)', () => {
      const env = at('2024-12-31T11:30:00Z', 'Pacific/Auckland'); // 2025-01-01 00:30 local
      expect(ev({ days_since: '2024-12-31T10:00:00Z' }, env)).toBe(1); // 2024-12-31 23:00 local
      expect(ev({ days_since: '2024-12-31T12:00:00+01:00' }, env)).toBe(0); // 2025-01-01 00:00 local
      expect(ev({ days_since: '2024-12-31T10:00:00Z' }, at('2024-12-31T11:30:00Z', 'UTC'))).toBe(0);
      expect(ev({ days_since: '2024-12-31T23:59:00' }, env)).toBe(1); // no offset: a local wall time
    });

    it('is exact across DST changes (America/New_York)', () => {
      // 2024-03-10: clocks jump from 02:00 EST to 03:00 EDT.
      expect(ev({ days_since: '2024-03-09' }, at('2024-03-10T04:59:00Z', 'America/New_York'))).toBe(0);
      expect(ev({ days_since: '2024-03-09' }, at('2024-03-10T05:00:00Z', 'America/New_York'))).toBe(1);
      expect(ev({ days_since: '2024-03-09' }, at('2024-03-11T03:59:00Z', 'America/New_York'))).toBe(1);
      expect(ev({ days_since: '2024-03-09' }, at('2024-03-11T04:00:00Z', 'America/New_York'))).toBe(2);
      expect(ev({ days_since: '2023-11-04' }, at('2023-11-06T04:59:00Z', 'America/New_York'))).toBe(1);
    });

    it('null or invalid → null', () => {
      const env = at('2024-06-15T12:00:00Z', 'UTC');
      for (const v of [null, 'garbage', '2024-02-30', '2023-02-29', 42n.toString(), true, {}]) {
        expect(ev({ days_since: [v] }, env)).toBeNull();
      }
      expect(ev({ days_since: { var: 'nope' } }, env)).toBeNull();
    });
  });

  describe('days_until_anniversary', () => {
    it('counts to the next occurrence, 0 on the day', () => {
      const env = at('2024-12-31T11:30:00Z', 'Pacific/Auckland'); // 2025-01-01 local
      expect(ev({ days_until_anniversary: '1990-01-01' }, env)).toBe(0);
      expect(ev({ days_until_anniversary: '1990-01-01' }, at('2024-12-31T11:30:00Z', 'UTC'))).toBe(1);
      expect(ev({ days_until_anniversary: '1990-12-31' }, env)).toBe(364);
      expect(ev({ days_until_anniversary: '1985-01-10' }, env)).toBe(9);
    });

    it('Feb 29 counts as Feb 28 in non-leap years', () => {
      expect(ev({ days_until_anniversary: '2000-02-29' }, at('2025-02-27T12:00:00Z', 'UTC'))).toBe(1);
      expect(ev({ days_until_anniversary: '2000-02-29' }, at('2025-02-28T12:00:00Z', 'UTC'))).toBe(0);
      expect(ev({ days_until_anniversary: '2000-02-29' }, at('2025-03-01T12:00:00Z', 'UTC'))).toBe(364);
      expect(ev({ days_until_anniversary: '2000-02-29' }, at('2024-02-28T12:00:00Z', 'UTC'))).toBe(1);
      expect(ev({ days_until_anniversary: '2000-02-29' }, at('2023-03-01T12:00:00Z', 'UTC'))).toBe(365);
    });

    it('null → null', () => {
      expect(ev({ days_until_anniversary: null }, at('2024-01-01T00:00:00Z', 'UTC'))).toBeNull();
    });
  });

  describe('time_between', () => {
    it('local time of day in [start, end)', () => {
      const harare = (iso: string) => at(iso, 'Africa/Harare');
      expect(ev({ time_between: ['00:00', '01:00'] }, harare('2024-06-15T22:30:00Z'))).toBe(true);
      expect(ev({ time_between: ['00:00', '01:00'] }, at('2024-06-15T22:30:00Z', 'UTC'))).toBe(false);
      expect(ev({ time_between: ['09:00', '17:00'] }, harare('2024-06-15T07:00:00Z'))).toBe(true); // 09:00
      expect(ev({ time_between: ['09:00', '17:00'] }, harare('2024-06-15T15:00:00Z'))).toBe(false); // 17:00
    });

    it('wraps midnight when start > end', () => {
      const utc = (hhmm: string) => at(`2024-06-15T${hhmm}:00Z`, 'UTC');
      const night = { time_between: ['22:00', '06:00'] };
      expect(ev(night, utc('23:00'))).toBe(true);
      expect(ev(night, utc('05:59'))).toBe(true);
      expect(ev(night, utc('06:00'))).toBe(false);
      expect(ev(night, utc('12:00'))).toBe(false);
      expect(ev(night, utc('22:00'))).toBe(true);
    });

    it('follows DST (America/New_York)', () => {
      const happyHour = { time_between: ['17:00', '19:00'] };
      expect(ev(happyHour, at('2024-03-09T22:30:00Z', 'America/New_York'))).toBe(true); // 17:30 EST
      expect(ev(happyHour, at('2024-03-10T22:30:00Z', 'America/New_York'))).toBe(true); // 18:30 EDT
      expect(ev(happyHour, at('2024-03-11T23:30:00Z', 'America/New_York'))).toBe(false); // 19:30 EDT
      // The skipped hour never matches; both 01:30s of the repeated hour do.
      expect(ev({ time_between: ['02:00', '03:00'] }, at('2024-03-10T07:30:00Z', 'America/New_York'))).toBe(
        false,
      );
      expect(ev({ time_between: ['01:00', '02:00'] }, at('2024-11-03T05:30:00Z', 'America/New_York'))).toBe(
        true,
      );
      expect(ev({ time_between: ['01:00', '02:00'] }, at('2024-11-03T06:30:00Z', 'America/New_York'))).toBe(
        true,
      );
    });

    it('invalid times → null; equal bounds → false', () => {
      const env = at('2024-06-15T12:00:00Z', 'UTC');
      expect(ev({ time_between: ['25:00', '01:00'] }, env)).toBeNull();
      expect(ev({ time_between: ['9am', '5pm'] }, env)).toBeNull();
      expect(ev({ time_between: ['12:00', '12:00'] }, env)).toBe(false);
      expect(ev({ time_between: ['11:00', '24:00'] }, env)).toBe(true);
    });
  });

  describe('environment defaults', () => {
    it('uses ctx.now.iso and ctx.tenant.timezone when env is not given', () => {
      const ctx = { now: { iso: '2024-06-15T22:30:00Z' }, tenant: { timezone: 'Africa/Harare' } };
      const rule = engine.compile({ days_since: '2024-06-15' });
      expect(rule.evaluate(ctx)).toBe(1);
      expect(rule.evaluate(ctx, { timeZone: 'UTC' })).toBe(0);
      expect(rule.evaluate(ctx, { now: new Date('2024-06-20T12:00:00Z') })).toBe(5);
    });

    it('works inside iteration scopes (env comes from the root context)', () => {
      const ctx = {
        now: { iso: '2024-06-15T12:00:00Z' },
        customer: { dates: ['2024-06-14', '2024-06-10'] },
      };
      expect(
        engine.compile({ map: [{ var: 'customer.dates' }, { days_since: { var: '' } }] }).evaluate(ctx),
      ).toEqual([1, 5]);
    });

    it('defaults to the current time and UTC', () => {
      const today = new Date().toISOString().slice(0, 10);
      const out = engine.compile({ days_since: today }).evaluate({});
      expect([0, 1]).toContain(out); // 1 only if the date rolled over between the two lines
    });

    it('an unknown time zone is an OPERATOR_ERROR', () => {
      try {
        engine.compile({ days_since: '2024-01-01' }).evaluate({}, { timeZone: 'Mars/Olympus' });
        expect.unreachable();
      } catch (e) {
        expect(e).toBeInstanceOf(RuleEvaluationError);
        expect((e as RuleEvaluationError).code).toBe('OPERATOR_ERROR');
      }
    });
  });
});
