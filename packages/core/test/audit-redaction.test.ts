import { describe, expect, it } from 'vitest';
import { AUDIT_PERSONAL_FIELDS, AUDIT_SECRET_FIELDS, REDACTED, redactForAudit } from '../src/index.js';

describe('redactForAudit', () => {
  it('replaces every secret field at any depth, keeps the rest, and does not change its input', () => {
    const webhook = {
      id: 'w1',
      url: 'https://example.com/hook',
      secret: 'whsec_abc',
      previous_secret: null,
      nested: [{ key: 'laas_plain', key_hash: 'f00d', name: 'till' }],
      settings: {
        access_token_encrypted: 'sealed',
        app_secret: 'x',
        verify_token: 'v',
        callback_secret_hash: 'h',
      },
    };
    const copy = structuredClone(webhook);
    expect(redactForAudit('webhook', webhook)).toEqual({
      id: 'w1',
      url: 'https://example.com/hook',
      secret: REDACTED,
      previous_secret: null,
      nested: [{ key: REDACTED, key_hash: REDACTED, name: 'till' }],
      settings: {
        access_token_encrypted: REDACTED,
        app_secret: REDACTED,
        verify_token: REDACTED,
        callback_secret_hash: REDACTED,
      },
    });
    expect(webhook).toEqual(copy);
  });

  it('covers every field of the list, and leaves scalars and null alone', () => {
    for (const field of AUDIT_SECRET_FIELDS) {
      expect(redactForAudit('rule', { [field]: 'value' })).toEqual({ [field]: REDACTED });
    }
    expect(redactForAudit('rule', null)).toBeNull();
    expect(redactForAudit('rule', 3)).toBe(3);
    expect(redactForAudit('reward_codes', { available: 2, used: 0 })).toEqual({ available: 2, used: 0 });
  });

  it('hides a customer’s personal data, but not the names of other entities', () => {
    const customer = {
      id: 'c1',
      phone: '+263771234567',
      name: 'Tendai',
      birthday: null,
      status: 'active',
      tags: ['vip'],
    };
    expect(redactForAudit('customer', customer)).toEqual({
      id: 'c1',
      phone: REDACTED,
      name: REDACTED,
      birthday: null,
      status: 'active',
      tags: ['vip'],
    });
    for (const field of AUDIT_PERSONAL_FIELDS) {
      expect(redactForAudit('customer', { [field]: 'x' })).toEqual({ [field]: REDACTED });
    }
    expect(redactForAudit('rule', { name: 'Visit' })).toEqual({ name: 'Visit' });
  });
});
