import type { Customer } from './types.js';

/**
 * What a search box's text asks for. A full international phone ("+233 24 123 4567", "00233…")
 * is an exact `phone=` lookup; one token with a digit ("CARD-0042", "12345678") is first an exact
 * `external_ref=` lookup, then the `q` search; anything else is the `q` search (phone digits,
 * external_ref prefix, name).
 */
export type SearchInput =
  | { kind: 'none' }
  | { kind: 'phone'; phone: string }
  | { kind: 'ref'; externalRef: string; q: string }
  | { kind: 'text'; q: string };

export function classifySearch(text: string): SearchInput {
  const trimmed = text.trim();
  if (trimmed === '') return { kind: 'none' };
  const compact = trimmed.replace(/[\s().-]/g, '');
  const international = /^(?:\+|00)([1-9]\d{6,14})$/.exec(compact);
  if (international !== null) return { kind: 'phone', phone: `+${international[1]}` };
  if (/^[\w.:#/-]+$/.test(trimmed) && /\d/.test(trimmed)) {
    return { kind: 'ref', externalRef: trimmed, q: trimmed };
  }
  return { kind: 'text', q: trimmed };
}

/** How the console names a customer: their name, else phone, else reference. */
export function customerLabel(
  c: Pick<Customer, 'name' | 'phone' | 'external_ref' | 'status' | 'id'>,
): string {
  if (c.status === 'erased') return 'Erased customer';
  return c.name ?? c.phone ?? c.external_ref ?? c.id;
}

/**
 * What a merchant types to confirm an erasure: the phone, else the external reference, else the
 * id — something that names this customer and no other.
 */
export function erasureConfirmation(c: Pick<Customer, 'phone' | 'external_ref' | 'id'>): string {
  return c.phone ?? c.external_ref ?? c.id;
}

/** Whether what was typed confirms the erasure (spaces are ignored; the text must match exactly). */
export function confirmsErasure(typed: string, c: Pick<Customer, 'phone' | 'external_ref' | 'id'>): boolean {
  return typed.replace(/\s/g, '') === erasureConfirmation(c).replace(/\s/g, '');
}

/**
 * The file name of a customer's export: `laas-customer-<phone digits, ref or id>-<date>.json`,
 * only characters every file system accepts.
 */
export function exportFileName(c: Pick<Customer, 'phone' | 'external_ref' | 'id'>, date: string): string {
  const who = (c.phone ?? c.external_ref ?? c.id).replace(/^\+/, '').replace(/[^A-Za-z0-9_-]+/g, '-');
  const safe = who.replace(/^-+|-+$/g, '').slice(0, 64) || c.id;
  return `laas-customer-${safe}-${date}.json`;
}
