import { getConnInfo } from '@hono/node-server/conninfo';
import type { Context } from 'hono';
import ipaddr from 'ipaddr.js';

/**
 * The address a request came from: the socket's peer, or, only when the operator says a proxy in
 * front sets it (`LAAS_TRUST_PROXY`), the first address of `X-Forwarded-For`. Without that
 * setting the header is ignored: any caller can write it. Undefined when there is no socket
 * (`app.fetch` called in process).
 */
export function clientAddress(c: Context, trustProxy: boolean): string | undefined {
  if (trustProxy) {
    const forwarded = c.req.header('x-forwarded-for')?.split(',')[0]?.trim();
    if (forwarded && ipaddr.isValid(forwarded)) return normalise(forwarded);
  }
  try {
    const address = getConnInfo(c).remote.address;
    return address === undefined ? undefined : normalise(address);
  } catch {
    return undefined;
  }
}

/** `::ffff:10.0.0.1` is `10.0.0.1`: one spelling per address, for allow-lists and rate limits. */
function normalise(address: string): string {
  const parsed = ipaddr.parse(address);
  if (parsed.kind() === 'ipv6' && (parsed as ipaddr.IPv6).isIPv4MappedAddress()) {
    return (parsed as ipaddr.IPv6).toIPv4Address().toString();
  }
  return parsed.toString();
}

/** Whether `address` is inside one of `cidrs` (an empty list allows every address). */
export function addressAllowed(address: string | undefined, cidrs: readonly string[]): boolean {
  if (cidrs.length === 0) return true;
  if (address === undefined || !ipaddr.isValid(address)) return false;
  const parsed = ipaddr.parse(address);
  return cidrs.some((cidr) => {
    const [range, bits] = ipaddr.parseCIDR(cidr);
    return range.kind() === parsed.kind() && parsed.match(range, bits);
  });
}

/** A valid CIDR (`196.201.214.0/24`, `2001:db8::/32`) or a single address. */
export function isCidr(value: string): boolean {
  return ipaddr.isValidCIDR(value) || ipaddr.isValid(value);
}

/** A single address becomes its /32 or /128. */
export function toCidr(value: string): string {
  if (ipaddr.isValidCIDR(value)) return value;
  const parsed = ipaddr.parse(value);
  return `${parsed.toString()}/${parsed.kind() === 'ipv4' ? 32 : 128}`;
}
