/** Helpers of the USSD suites: a gateway that POSTs forms exactly as Africa's Talking does. */
import { expect } from 'vitest';
import type { TestServer } from './harness.js';

/**
 * GSM 03.38, written out here independently of the server's table: the basic set (without ESC
 * and CR) and the extension table, whose characters take two septets.
 */
const GSM_BASIC = new Set(
  '@£$¥èéùìòÇ\nØøÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà',
);
const GSM_EXTENSION = new Set('^{}\\[~]|€');

/** Asserts what every USSD answer must be: 200 text/plain, `CON `/`END `, GSM-7, at most 182 septets. */
export function expectUssdAnswer(status: number, contentType: string | null, text: string): void {
  expect(status).toBe(200);
  expect(contentType ?? '').toMatch(/^text\/plain/);
  expect(text).toMatch(/^(CON|END) /);
  let septets = 0;
  for (const char of text) {
    expect(
      GSM_BASIC.has(char) || GSM_EXTENSION.has(char),
      `non-GSM-7 ${JSON.stringify(char)} in ${text}`,
    ).toBe(true);
    septets += GSM_EXTENSION.has(char) ? 2 : 1;
  }
  expect(septets, text).toBeLessThanOrEqual(182);
}

export interface UssdReply {
  text: string;
  headers: Headers;
}

/** Each service code's callback secret, as the tests' tenants were shown it (once). */
const secrets = new Map<string, string>();

/** Remembers the callback secret a `PUT .../ussd` answered for `serviceCode`. */
export function rememberUssdSecret(serviceCode: string, secret: string): void {
  secrets.set(serviceCode, secret);
}

/**
 * POSTs one gateway callback (form-encoded, no credentials) to the callback URL of the service
 * code it names (its secret remembered, or `secret`), and returns the raw answer.
 */
export async function callUssd(
  server: TestServer,
  fields: Record<string, string>,
  query = '',
  secret?: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; text: string; headers: Headers }> {
  const code = fields.serviceCode ?? fields.service_code ?? '';
  const path = secret ?? secrets.get(code) ?? 'no-secret';
  const res = await fetch(`${server.url}/public/ussd/callback/${path}${query}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(fields).toString(),
  });
  return { status: res.status, text: await res.text(), headers: res.headers };
}

/** {@link callUssd}, checking the answer's shape (200, `CON`/`END`, GSM-7, 182 septets). */
export async function postUssd(
  server: TestServer,
  fields: Record<string, string>,
  query = '',
): Promise<UssdReply> {
  const res = await callUssd(server, fields, query);
  expectUssdAnswer(res.status, res.headers.get('content-type'), res.text);
  return { text: res.text, headers: res.headers };
}

let sessions = 0;

/**
 * One Africa's Talking session: `send(text)` POSTs `sessionId, serviceCode, phoneNumber,
 * networkCode, text` with the same session id each time, as the gateway does.
 */
export function atSession(server: TestServer, serviceCode: string, phoneNumber: string) {
  sessions += 1;
  const sessionId = `ATUid_${Date.now().toString(36)}${sessions}${Math.random().toString(36).slice(2, 8)}`;
  return {
    sessionId,
    send: async (text: string): Promise<string> =>
      (await postUssd(server, { sessionId, serviceCode, phoneNumber, networkCode: '64804', text })).text,
  };
}

let codes = 0;
/** A fresh service code (unique across the tests of a run). */
export function freshServiceCode(): string {
  codes += 1;
  return `*384*${codes}${Math.floor(Math.random() * 100_000)}#`;
}

let phones = 0;
/** A fresh Zimbabwean mobile number in E.164. */
export function freshPhone(): string {
  phones += 1;
  return `+26377${String(phones).padStart(3, '0')}${String(Math.floor(Math.random() * 10_000)).padStart(4, '0')}`;
}
