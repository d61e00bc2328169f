import { describe, expect, it } from 'vitest';
import {
  DEFAULT_RETRY_SCHEDULE,
  MAX_RETRY_AFTER_MS,
  nextRetryDelay,
  parseRetryAfter,
  signWebhook,
} from '../src/index.js';

describe('webhook signatures', () => {
  it('match the Standard Webhooks reference vector', () => {
    expect(
      signWebhook({
        id: 'msg_p5jXN8AQM9LWM0D4loKWxJek',
        timestamp: 1614265330,
        body: '{"test": 2432232314}',
        secrets: ['whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'],
      }),
    ).toBe('v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=');
  });

  it('carry one space-separated entry per secret', () => {
    const both = signWebhook({ id: 'm', timestamp: 1, body: '{}', secrets: ['whsec_AAAA', 'whsec_BBBB'] });
    expect(both.split(' ')).toHaveLength(2);
    expect(both.split(' ')[0]).toBe(
      signWebhook({ id: 'm', timestamp: 1, body: '{}', secrets: ['whsec_AAAA'] }),
    );
  });
});

describe('retry schedule', () => {
  const options = { schedule: DEFAULT_RETRY_SCHEDULE, jitter: 0.1, random: () => 0.5 };

  it('waits 5 s, 5 min, ... 24 h, then gives up after ten attempts', () => {
    expect(nextRetryDelay(1, options)).toBe(5000);
    expect(nextRetryDelay(2, options)).toBe(300_000);
    expect(nextRetryDelay(9, options)).toBe(86_400_000);
    expect(nextRetryDelay(10, options)).toBeNull();
  });

  it('spreads each wait by at most the jitter', () => {
    expect(nextRetryDelay(1, { ...options, random: () => 0 })).toBe(4500);
    expect(nextRetryDelay(1, { ...options, random: () => 0.999999 })).toBe(5500);
  });

  it('lets Retry-After replace the wait, capped at a day, but not extend the schedule', () => {
    expect(nextRetryDelay(3, { ...options, retryAfterMs: 120_000 })).toBe(120_000);
    expect(nextRetryDelay(3, { ...options, retryAfterMs: 10 * 86_400_000 })).toBe(MAX_RETRY_AFTER_MS);
    expect(nextRetryDelay(10, { ...options, retryAfterMs: 1000 })).toBeNull();
  });

  it('parses Retry-After as seconds or an HTTP date', () => {
    const now = new Date('2026-11-02T09:00:00.000Z');
    expect(parseRetryAfter('120', now)).toBe(120_000);
    expect(parseRetryAfter('Mon, 02 Nov 2026 09:01:00 GMT', now)).toBe(60_000);
    expect(parseRetryAfter('soon', now)).toBeNull();
    expect(parseRetryAfter(null, now)).toBeNull();
  });
});
