/**
 * Who is signed in. The credentials live in sessionStorage (gone when the tab closes, never in a
 * URL, never in localStorage where another tab or a later visitor would find them).
 */
export type Role = 'platform' | 'admin' | 'manager' | 'pos' | 'viewer';

export interface Tenant {
  id: string;
  name: string;
  timezone: string;
  settings: { currency: string; [setting: string]: unknown };
  created_at: string;
}

export interface Session {
  token: string;
  role: Role;
  /** Null for the platform admin until they pick a tenant. */
  tenant: Tenant | null;
}

const KEY = 'laas.console.session';

export function loadSession(): Session | null {
  try {
    const raw = sessionStorage.getItem(KEY);
    return raw === null ? null : (JSON.parse(raw) as Session);
  } catch {
    return null;
  }
}

export function saveSession(session: Session | null): void {
  if (session === null) sessionStorage.removeItem(KEY);
  else sessionStorage.setItem(KEY, JSON.stringify(session));
}

/** What each role may do in the console: the same table as the server's (permissions.ts). */
export const can = {
  setupRead: (r: Role) => r !== 'pos',
  setupWrite: (r: Role) => r === 'admin' || r === 'manager' || r === 'platform',
  counter: (r: Role) => r === 'pos' || r === 'admin' || r === 'platform',
  customersWrite: (r: Role) => r === 'admin' || r === 'platform',
  privacy: (r: Role) => r === 'admin' || r === 'platform',
  webhooks: (r: Role) => r === 'admin' || r === 'platform',
  analytics: (r: Role) => r !== 'pos',
  tenants: (r: Role) => r === 'platform',
};
