import { describe, expect, it } from 'vitest';
import {
  classifySearch,
  confirmsErasure,
  customerLabel,
  erasureConfirmation,
  exportFileName,
} from '../src/lib/customers.js';

describe('classifySearch', () => {
  it('reads an international phone, however it is spaced, as an exact phone lookup', () => {
    expect(classifySearch('+233 24 123 4567')).toEqual({ kind: 'phone', phone: '+233241234567' });
    expect(classifySearch(' +233-24-(123)-4567 ')).toEqual({ kind: 'phone', phone: '+233241234567' });
    expect(classifySearch('00263771234567')).toEqual({ kind: 'phone', phone: '+263771234567' });
  });

  it('reads one token with a digit as a reference (exact first, then the q search)', () => {
    expect(classifySearch('CARD-0042')).toEqual({ kind: 'ref', externalRef: 'CARD-0042', q: 'CARD-0042' });
    expect(classifySearch('0241234567')).toEqual({ kind: 'ref', externalRef: '0241234567', q: '0241234567' });
    // Too short for E.164: a reference or phone digits, not a phone.
    expect(classifySearch('+2331')).toEqual({ kind: 'text', q: '+2331' });
  });

  it('reads names and other text as the q search, and blank as no search', () => {
    expect(classifySearch('Ama Mensah')).toEqual({ kind: 'text', q: 'Ama Mensah' });
    expect(classifySearch('ama')).toEqual({ kind: 'text', q: 'ama' });
    expect(classifySearch('   ')).toEqual({ kind: 'none' });
  });
});

describe('naming a customer', () => {
  const base = { id: '0190a6f0-0000-7000-8000-000000000001', status: 'active' as const };
  it('prefers the name, then the phone, then the reference', () => {
    expect(customerLabel({ ...base, name: 'Ama', phone: '+233241234567', external_ref: 'C1' })).toBe('Ama');
    expect(customerLabel({ ...base, name: null, phone: '+233241234567', external_ref: 'C1' })).toBe(
      '+233241234567',
    );
    expect(customerLabel({ ...base, name: null, phone: null, external_ref: 'C1' })).toBe('C1');
    expect(customerLabel({ ...base, status: 'erased', name: null, phone: null, external_ref: null })).toBe(
      'Erased customer',
    );
  });

  it('asks for the phone (else the reference, else the id) to confirm an erasure', () => {
    const c = { id: base.id, phone: '+233241234567', external_ref: 'C1' };
    expect(erasureConfirmation(c)).toBe('+233241234567');
    expect(confirmsErasure('+233 24 123 4567', c)).toBe(true);
    expect(confirmsErasure('+23324123456', c)).toBe(false);
    expect(confirmsErasure('', c)).toBe(false);
    expect(erasureConfirmation({ ...c, phone: null })).toBe('C1');
    expect(erasureConfirmation({ ...c, phone: null, external_ref: null })).toBe(base.id);
  });

  it('names an export file after the customer and the date, in safe characters', () => {
    expect(exportFileName({ id: base.id, phone: '+233241234567', external_ref: null }, '2026-12-05')).toBe(
      'laas-customer-233241234567-2026-12-05.json',
    );
    expect(exportFileName({ id: base.id, phone: null, external_ref: 'shop/ä 42' }, '2026-12-05')).toBe(
      'laas-customer-shop-42-2026-12-05.json',
    );
    expect(exportFileName({ id: base.id, phone: null, external_ref: '///' }, '2026-12-05')).toBe(
      `laas-customer-${base.id}-2026-12-05.json`,
    );
  });
});
