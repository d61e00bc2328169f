import { describe, expect, it } from 'vitest';
import { africasTalkingGateway, gatewayNamed, msisdnGateway } from '../src/channels/ussd/gateways.js';
import { fitUssd, gsm7Length, isGsm7, toGsm7 } from '../src/channels/ussd/gsm7.js';
import { toE164 } from '../src/channels/ussd/phone.js';
import { USSD_STRINGS, ussdTexts } from '../src/channels/ussd/strings.js';

describe('GSM-7', () => {
  it('keeps the alphabet (accents it has included), spells out the rest, drops what has no spelling', () => {
    // ú is not in the alphabet (ù is): it loses its accent.
    expect(toGsm7('Café Ñandú à 5€')).toBe('Café Ñandu à 5€');
    expect(toGsm7('“Smart” ‘quotes’ – and… more')).toBe('"Smart" \'quotes\' - and... more');
    expect(toGsm7('Tōkyō Łódź ç')).toBe('Tokyo Lodz c');
    expect(toGsm7('Coffee ☕ time 🎉!')).toBe('Coffee time !');
    expect(toGsm7('a\r\nb\tc')).toBe('a\nb c');
    expect(isGsm7(toGsm7('Ωmega ✓ 漢字 ok'))).toBe(true);
  });

  it('counts extension characters as two septets', () => {
    expect(gsm7Length('abc')).toBe(3);
    expect(gsm7Length('€{}')).toBe(6);
    expect(isGsm7('plain ASCII [ok]')).toBe(true);
    expect(isGsm7('emoji 🎉')).toBe(false);
  });

  it('fitUssd leaves short text alone and cuts long text at a line boundary with "..."', () => {
    expect(fitUssd('CON-free short text')).toBe('CON-free short text');
    const menu = [
      'Choose a reward:',
      ...Array.from({ length: 30 }, (_, i) => `${i + 1} Reward number ${i + 1}`),
    ].join('\n');
    const fitted = fitUssd(menu, 178);
    expect(gsm7Length(fitted)).toBeLessThanOrEqual(178);
    expect(fitted.endsWith('\n...')).toBe(true);
    // Whole lines only: every line but the ellipsis is a line of the input.
    const lines = fitted.split('\n');
    for (const line of lines.slice(0, -1)) expect(menu.split('\n')).toContain(line);
  });

  it('fitUssd cuts inside a single long line when no whole line fits', () => {
    const fitted = fitUssd('x'.repeat(500), 50);
    expect(fitted).toBe(`${'x'.repeat(47)}...`);
    const euros = fitUssd('€'.repeat(100), 20);
    expect(gsm7Length(euros)).toBeLessThanOrEqual(20);
    expect(euros.endsWith('...')).toBe(true);
  });

  it('fitUssd transliterates before measuring', () => {
    const fitted = fitUssd(`${'“quoted” '.repeat(40)}`, 100);
    expect(isGsm7(fitted)).toBe(true);
    expect(gsm7Length(fitted)).toBeLessThanOrEqual(100);
  });
});

describe('phone numbers', () => {
  it('normalises the forms gateways send to E.164', () => {
    expect(toE164('+263771234567')).toBe('+263771234567');
    expect(toE164('263771234567')).toBe('+263771234567');
    expect(toE164('00263771234567')).toBe('+263771234567');
    expect(toE164(' +263 77 123-4567 ')).toBe('+263771234567');
  });

  it('refuses what is not an international number', () => {
    for (const bad of ['0771234567', '', 'abc', '+0123456789', '+1234', '+1234567890123456']) {
      expect(toE164(bad), bad).toBeNull();
    }
  });
});

describe('gateways', () => {
  it("Africa's Talking: reads its fields, answers CON/END text/plain", () => {
    const form = new URLSearchParams({
      sessionId: 'ATUid_1',
      serviceCode: '*384*123#',
      phoneNumber: '+263771234567',
      networkCode: '64804',
      text: '3*1',
    });
    expect(africasTalkingGateway.parse(form)).toEqual({
      sessionId: 'ATUid_1',
      serviceCode: '*384*123#',
      phoneNumber: '+263771234567',
      text: '3*1',
    });
    const noText = new URLSearchParams({ sessionId: 's', serviceCode: '*1#', phoneNumber: '+263771234567' });
    expect(africasTalkingGateway.parse(noText)).toMatchObject({ text: '' });
    expect(africasTalkingGateway.parse(new URLSearchParams({ serviceCode: '*1#' }))).toEqual({
      error: 'missing or invalid sessionId',
    });
    expect(africasTalkingGateway.format({ kind: 'END', text: 'Bye' })).toEqual({
      body: 'END Bye',
      headers: { 'content-type': 'text/plain; charset=utf-8' },
    });
  });

  it('msisdn: other field names, the same answers plus a Freeflow header', () => {
    const form = new URLSearchParams({
      session_id: '42',
      service_code: '*120*7#',
      msisdn: '263771234567',
      ussd_string: '2',
    });
    expect(msisdnGateway.parse(form)).toEqual({
      sessionId: '42',
      serviceCode: '*120*7#',
      phoneNumber: '263771234567',
      text: '2',
    });
    expect(msisdnGateway.format({ kind: 'CON', text: 'Menu' }).headers.freeflow).toBe('FC');
    expect(msisdnGateway.format({ kind: 'END', text: 'Bye' }).headers.freeflow).toBe('FB');
  });

  it('is selected by name, Africa’s Talking by default', () => {
    expect(gatewayNamed(undefined)).toBe(africasTalkingGateway);
    expect(gatewayNamed('MSISDN')).toBe(msisdnGateway);
    expect(gatewayNamed('nope')).toBeUndefined();
  });
});

describe('texts', () => {
  it('fills placeholders and takes the tenant’s overrides', () => {
    const t = ussdTexts({ 'menu.balance': 'Points' });
    expect(t('menu.balance')).toBe('Points');
    expect(t('balance.text', { points: 12 })).toBe('You have 12 points.');
    expect(t('rewards.item', { reward: 'Coffee', code: '', expires: '' })).toBe('Coffee');
    expect(Object.keys(USSD_STRINGS).length).toBeGreaterThan(20);
  });
});
