/** Pure parts of the WhatsApp channel: no server, no database. */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { parseCommand } from '../src/channels/whatsapp/commands.js';
import { joinLink } from '../src/channels/whatsapp/join-link.js';
import { buttonsPayload, MAX_TEXT, templatePayload, textPayload } from '../src/channels/whatsapp/outbound.js';
import { phoneNumberIdsIn, readPayload } from '../src/channels/whatsapp/payload.js';
import { open, parseSecretKey, seal } from '../src/channels/whatsapp/secret-box.js';
import { signPayload, verifySignature } from '../src/channels/whatsapp/signature.js';
import { DEFAULT_STRINGS, fill, textsOf } from '../src/channels/whatsapp/strings.js';

describe('commands', () => {
  it('are case-insensitive and tolerant of spaces and punctuation', () => {
    expect(parseCommand('JOIN COFFEE')).toEqual({ kind: 'join', code: 'COFFEE' });
    expect(parseCommand('  join:   coffee! ')).toEqual({ kind: 'join', code: 'COFFEE' });
    expect(parseCommand('Join cof-fee')).toEqual({ kind: 'join', code: 'COFFEE' });
    expect(parseCommand('join')).toEqual({ kind: 'join', code: '' });
    expect(parseCommand('balance')).toEqual({ kind: 'balance' });
    expect(parseCommand('Balance?')).toEqual({ kind: 'balance' });
    expect(parseCommand('my rewards')).toEqual({ kind: 'rewards' });
    expect(parseCommand('REWARDS.')).toEqual({ kind: 'rewards' });
    expect(parseCommand('redeem 2')).toEqual({ kind: 'redeem', n: 2 });
    expect(parseCommand(' Redeem #12 ')).toEqual({ kind: 'redeem', n: 12 });
    expect(parseCommand('REDEEM')).toEqual({ kind: 'redeem', n: null });
    expect(parseCommand('yes.')).toEqual({ kind: 'yes' });
    expect(parseCommand('No!')).toEqual({ kind: 'no' });
    expect(parseCommand('help')).toEqual({ kind: 'help' });
    expect(parseCommand('hello')).toEqual({ kind: 'help' });
    expect(parseCommand('what is the weather')).toEqual({ kind: 'unknown' });
    expect(parseCommand('')).toEqual({ kind: 'unknown' });
    expect(parseCommand('🎉')).toEqual({ kind: 'unknown' });
  });

  it('read the ids of the bot’s own buttons', () => {
    expect(parseCommand('laas_yes')).toEqual({ kind: 'yes' });
    expect(parseCommand('laas_no')).toEqual({ kind: 'no' });
    expect(parseCommand('laas_rewards')).toEqual({ kind: 'rewards' });
  });
});

describe('signature', () => {
  const secret = 'app-secret-123';
  const body = Buffer.from('{"object":"whatsapp_business_account","entry":[]}');

  it('accepts the HMAC-SHA256 of the exact bytes and nothing else', () => {
    const header = signPayload(body, secret);
    expect(header).toMatch(/^sha256=[0-9a-f]{64}$/);
    expect(verifySignature(body, header, secret)).toBe(true);
    expect(verifySignature(body, header.toUpperCase().replace('SHA256=', 'sha256='), secret)).toBe(true);
    expect(verifySignature(Buffer.from(`${body} `), header, secret)).toBe(false);
    expect(verifySignature(body, header, 'another-secret')).toBe(false);
    expect(verifySignature(body, undefined, secret)).toBe(false);
    expect(verifySignature(body, 'sha256=abc', secret)).toBe(false);
    expect(verifySignature(body, header.replace('sha256=', 'sha1='), secret)).toBe(false);
  });
});

describe('secret box', () => {
  const hex = randomBytes(32).toString('hex');
  const key = parseSecretKey(hex);

  it('takes 32 bytes as 64 hex characters or base64, and nothing else', () => {
    expect(parseSecretKey(Buffer.from(hex, 'hex').toString('base64')).export().toString('hex')).toBe(hex);
    expect(parseSecretKey(Buffer.from(hex, 'hex').toString('base64url')).export().toString('hex')).toBe(hex);
    expect(() => parseSecretKey('short')).toThrow(/LAAS_SECRET_KEY/);
    expect(() => parseSecretKey(randomBytes(16).toString('hex'))).toThrow(/LAAS_SECRET_KEY/);
  });

  it('round-trips, never shows the plaintext, and opens only with the same key and purpose', () => {
    const sealed = seal(key, 'EAAG-token-value', 'p:1');
    expect(sealed).toMatch(/^v1\./);
    expect(sealed).not.toContain('EAAG');
    expect(seal(key, 'EAAG-token-value', 'p:1')).not.toBe(sealed);
    expect(open(key, sealed, 'p:1')).toBe('EAAG-token-value');
    expect(() => open(key, sealed, 'p:2')).toThrow(/does not open/);
    expect(() => open(parseSecretKey(randomBytes(32).toString('hex')), sealed, 'p:1')).toThrow(
      /does not open/,
    );
    expect(() => open(key, 'garbage', 'p:1')).toThrow(/not a secret envelope/);
  });
});

describe('payload', () => {
  const message = (m: object) => ({
    object: 'whatsapp_business_account',
    entry: [
      {
        id: 'WABA',
        changes: [
          {
            field: 'messages',
            value: {
              messaging_product: 'whatsapp',
              metadata: { display_phone_number: '15550001111', phone_number_id: '1234567' },
              contacts: [{ profile: { name: 'Tariro' }, wa_id: '263771234567' }],
              messages: [{ from: '263771234567', id: 'wamid.1', timestamp: '1603059201', ...m }],
            },
          },
        ],
      },
    ],
  });

  it('reads text, button and list replies; skips unknown types without failing', () => {
    const text = readPayload(message({ type: 'text', text: { body: 'BALANCE' } }));
    expect(text?.[0]).toMatchObject({
      phoneNumberId: '1234567',
      messages: [
        {
          waMessageId: 'wamid.1',
          phone: '263771234567',
          text: 'BALANCE',
          via: 'text',
          profileName: 'Tariro',
        },
      ],
    });
    expect(text?.[0]?.messages[0]?.sentAt).toBe('2020-10-18T22:13:21.000Z');
    const button = readPayload(
      message({
        type: 'interactive',
        interactive: { type: 'button_reply', button_reply: { id: 'laas_yes', title: 'Yes' } },
      }),
    );
    expect(button?.[0]?.messages[0]).toMatchObject({ text: 'laas_yes', via: 'button' });
    const list = readPayload(
      message({
        type: 'interactive',
        interactive: { type: 'list_reply', list_reply: { id: 'r1', title: 'x' } },
      }),
    );
    expect(list?.[0]?.messages[0]).toMatchObject({ text: 'r1', via: 'list' });
    const image = readPayload(message({ type: 'image', image: { id: 'x' } }));
    expect(image?.[0]?.messages).toEqual([]);
    expect(image?.[0]?.ignored).toEqual([{ waMessageId: 'wamid.1', phone: '263771234567', type: 'image' }]);
    expect(readPayload({ hello: 'world' })).toBeNull();
  });

  it('reads status receipts with their errors', () => {
    const payload = {
      object: 'whatsapp_business_account',
      entry: [
        {
          changes: [
            {
              field: 'messages',
              value: {
                metadata: { phone_number_id: '1234567' },
                statuses: [
                  {
                    id: 'wamid.a',
                    status: 'delivered',
                    timestamp: '1603059201',
                    recipient_id: '263771234567',
                  },
                  {
                    id: 'wamid.b',
                    status: 'failed',
                    errors: [{ code: 131047, title: 'Re-engagement message' }],
                  },
                  { id: 'wamid.c', status: 'deleted' },
                ],
              },
            },
            { field: 'account_update', value: {} },
          ],
        },
      ],
    };
    expect(readPayload(payload)?.[0]?.statuses).toEqual([
      { waMessageId: 'wamid.a', status: 'delivered', at: '2020-10-18T22:13:21.000Z', error: null },
      { waMessageId: 'wamid.b', status: 'failed', at: null, error: '(#131047) Re-engagement message' },
    ]);
  });

  it('finds the receiving numbers without parsing', () => {
    expect(phoneNumberIdsIn(JSON.stringify(message({ type: 'text', text: { body: 'x' } })))).toEqual([
      '1234567',
    ]);
    expect(
      phoneNumberIdsIn('{"phone_number_id" : "1", "phone_number_id":"2","phone_number_id":"1"}'),
    ).toEqual(['1', '2']);
  });
});

describe('outbound payloads', () => {
  it('are shaped as PROTOCOLS.md shows and kept within the limits', () => {
    expect(textPayload('263771234567', 'hi')).toEqual({
      messaging_product: 'whatsapp',
      recipient_type: 'individual',
      to: '263771234567',
      type: 'text',
      text: { preview_url: false, body: 'hi' },
    });
    expect(Array.from(textPayload('1', 'x'.repeat(5000)).text.body)).toHaveLength(MAX_TEXT);
    const buttons = buttonsPayload('1', 'Pick', [
      { id: 'a', title: 'A very long button title indeed' },
      { id: 'b', title: 'B' },
      { id: 'c', title: 'C' },
      { id: 'd', title: 'D' },
    ]);
    expect(buttons).toMatchObject({
      type: 'interactive',
      interactive: { type: 'button', body: { text: 'Pick' } },
    });
    const list = (buttons as { interactive: { action: { buttons: Array<{ reply: { title: string } }> } } })
      .interactive.action.buttons;
    expect(list).toHaveLength(3);
    expect(list.every((b) => Array.from(b.reply.title).length <= 20)).toBe(true);
    expect(templatePayload('1', 'reward_earned', 'en', ['Free coffee'])).toEqual({
      messaging_product: 'whatsapp',
      recipient_type: 'individual',
      to: '1',
      type: 'template',
      template: {
        name: 'reward_earned',
        language: { code: 'en' },
        components: [{ type: 'body', parameters: [{ type: 'text', text: 'Free coffee' }] }],
      },
    });
  });
});

describe('strings and the join link', () => {
  it('fill placeholders and take the tenant’s overrides', () => {
    expect(fill('Hi {name}, {unknown}', { name: 'Tariro' })).toBe('Hi Tariro, {unknown}');
    const t = textsOf({ balance: 'Una {points} puntos' });
    expect(t('balance', { points: 5 })).toBe('Una 5 puntos');
    expect(t('help', { shop: 'Kofi' })).toBe(fill(DEFAULT_STRINGS.help, { shop: 'Kofi' }));
  });

  it('wa.me link', () => {
    expect(joinLink({ display_phone_number: '15550001111', enrollment_code: 'COFFEE' })).toEqual({
      url: 'https://wa.me/15550001111?text=JOIN%20COFFEE',
      text: 'JOIN COFFEE',
      phone: '15550001111',
    });
  });
});
