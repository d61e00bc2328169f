import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { LookupFunction } from 'node:net';
import { Readable } from 'node:stream';
import ipaddr from 'ipaddr.js';
import { UnprocessableInputError } from '../errors.js';

/**
 * Webhook URLs are chosen by a tenant admin, and the server POSTs to them and records the first KB
 * of the answer: without a check, a tenant could read the host's own services (127.0.0.1, the
 * cloud metadata endpoint at 169.254.169.254, the private network). A webhook must be `https` to
 * a public unicast address: checked when it is saved, and again at every delivery against the
 * address actually connected to (a DNS name may change its answer in between). `allowPrivate`
 * (`LAAS_WEBHOOK_ALLOW_PRIVATE=true`) lifts both rules, for development and tests.
 */
export interface WebhookAddressPolicy {
  allowPrivate: boolean;
}

/** The address range of `address` when it is not public unicast (`loopback`, `private`, ...), else null. */
export function nonPublicRange(address: string): string | null {
  if (!ipaddr.isValid(address)) return 'invalid';
  let parsed = ipaddr.parse(address);
  if (parsed.kind() === 'ipv6' && (parsed as ipaddr.IPv6).isIPv4MappedAddress()) {
    parsed = (parsed as ipaddr.IPv6).toIPv4Address();
  }
  const range = parsed.range();
  return range === 'unicast' ? null : range;
}

function refuse(url: string, reason: string): UnprocessableInputError {
  return new UnprocessableInputError(`The webhook URL ${url} is refused: ${reason}`, [
    { path: 'url', message: reason, code: 'webhook_url' },
  ]);
}

/** How long a webhook host may take to resolve when it is saved. */
const RESOLVE_TIMEOUT_MS = 5000;

function resolveAll(hostname: string): Promise<LookupAddress[]> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('timed out')), RESOLVE_TIMEOUT_MS);
    dnsLookup(hostname, { all: true }, (error, addresses) => {
      clearTimeout(timer);
      if (error) reject(error);
      else resolve(addresses);
    });
  });
}

/**
 * Checks a webhook URL before it is saved: `https`, and a host that is, or resolves only to,
 * public unicast addresses. Throws `UnprocessableInputError` (422) naming `url`.
 */
export async function checkWebhookUrl(url: string, policy: WebhookAddressPolicy): Promise<void> {
  if (policy.allowPrivate) return;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw refuse(url, 'it is not a URL');
  }
  if (parsed.protocol !== 'https:') throw refuse(url, 'webhooks are delivered over https only');
  const host = parsed.hostname.replace(/^\[|\]$/g, '');
  if (ipaddr.isValid(host)) {
    const range = nonPublicRange(host);
    if (range !== null) throw refuse(url, `${host} is a ${range} address, not a public one`);
    return;
  }
  let addresses: LookupAddress[];
  try {
    addresses = await resolveAll(host);
  } catch {
    throw refuse(url, `the host ${host} cannot be resolved`);
  }
  for (const { address } of addresses) {
    const range = nonPublicRange(address);
    if (range !== null)
      throw refuse(url, `${host} resolves to ${address}, a ${range} address, not a public one`);
  }
}

/**
 * A DNS lookup for the delivery's socket that refuses non-public addresses: the connection goes
 * to exactly the address that was checked, so a name that changes its answer between the check
 * and the connection (DNS rebinding) cannot reach inside.
 */
const publicOnlyLookup: LookupFunction = (hostname, options, callback) => {
  dnsLookup(hostname, { ...options, all: true }, (error, addresses) => {
    if (error) return callback(error, '', 4);
    const list = addresses as LookupAddress[];
    const bad = list.find((a) => nonPublicRange(a.address) !== null);
    if (bad !== undefined || list.length === 0) {
      const reason =
        bad === undefined ? 'no address' : `${bad.address} is a ${nonPublicRange(bad.address)} address`;
      return callback(new Error(`refused: ${hostname} resolves to ${reason}, not a public one`), '', 4);
    }
    const first = list[0] as LookupAddress;
    if ((options as { all?: boolean }).all)
      return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, list);
    return callback(null, first.address, first.family);
  });
};

/**
 * The `fetch` the worker delivers webhooks with: node's http(s) client behind the address policy
 * (https only, public addresses only, checked on the address connected to). Redirects are never
 * followed (a 3xx is an answer, recorded like any other). Only what `sendDelivery` uses is
 * supported: POST with headers, a string body, `signal`.
 */
export function createWebhookFetch(policy: WebhookAddressPolicy): typeof fetch {
  return (async (input: string | URL | Request, init: RequestInit = {}) => {
    const url = new URL(typeof input === 'string' || input instanceof URL ? input : input.url);
    if (!policy.allowPrivate) {
      if (url.protocol !== 'https:') throw new Error('refused: webhooks are delivered over https only');
      const host = url.hostname.replace(/^\[|\]$/g, '');
      if (ipaddr.isValid(host)) {
        const range = nonPublicRange(host);
        if (range !== null) throw new Error(`refused: ${host} is a ${range} address, not a public one`);
      }
    }
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const headers = Object.fromEntries(new Headers(init.headers).entries());
    const body = typeof init.body === 'string' ? init.body : '';
    const res = await new Promise<IncomingMessage>((resolve, reject) => {
      const req = send(url, {
        method: init.method ?? 'POST',
        headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
        ...(policy.allowPrivate ? {} : { lookup: publicOnlyLookup }),
        ...(init.signal ? { signal: init.signal } : {}),
      });
      req.once('response', resolve);
      req.once('error', reject);
      req.end(body);
    });
    const responseHeaders = new Headers();
    for (const [name, value] of Object.entries(res.headers)) {
      if (value !== undefined) responseHeaders.set(name, Array.isArray(value) ? value.join(', ') : value);
    }
    const status = res.statusCode ?? 0;
    const stream =
      status === 204 || status === 304 ? null : (Readable.toWeb(res) as ReadableStream<Uint8Array>);
    if (stream === null) res.resume();
    return new Response(stream, {
      status: status < 200 || status > 599 ? 599 : status,
      headers: responseHeaders,
    });
  }) as typeof fetch;
}
