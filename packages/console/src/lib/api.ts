import type { Session } from './session.js';

/** An answer of the API that is not a success: its code, message and details (DESIGN.md "Errors"). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: Record<string, unknown> | undefined,
  ) {
    super(message);
    this.name = 'ApiError';
  }

  /** The message of the first issue at `field` (a body path such as `name` or `caps.0.max`), if any. */
  at(field: string): string | undefined {
    const issues = this.details?.issues;
    if (!Array.isArray(issues)) return undefined;
    for (const issue of issues as Array<{ path?: unknown; message?: unknown }>) {
      const path = Array.isArray(issue.path) ? issue.path.join('.') : String(issue.path ?? '');
      if (path === field || path.startsWith(`${field}.`)) return String(issue.message ?? this.message);
    }
    return undefined;
  }
}

export interface RequestOptions {
  method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  body?: unknown;
  query?: Record<string, string | number | boolean | undefined | null>;
  /** Makes a retried POST safe: the server answers the first result again (PROTOCOLS.md). */
  idempotencyKey?: string;
  /** Answer the raw text instead of parsing JSON (exports, SVG). */
  text?: boolean;
}

/** The API's origin and base: the console is served by the API server itself, at <base>/console. */
export const apiBase = window.location.pathname.replace(/\/console(\/.*)?$/, '');

export async function request<T>(
  token: string | null,
  path: string,
  options: RequestOptions = {},
): Promise<T> {
  const url = new URL(`${apiBase}${path}`, window.location.origin);
  for (const [name, value] of Object.entries(options.query ?? {})) {
    if (value !== undefined && value !== null && value !== '') url.searchParams.set(name, String(value));
  }
  const headers: Record<string, string> = { accept: 'application/json' };
  if (token !== null) headers.authorization = `Bearer ${token}`;
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  if (options.idempotencyKey !== undefined) headers['idempotency-key'] = options.idempotencyKey;
  let response: Response;
  try {
    response = await fetch(url, {
      method: options.method ?? 'GET',
      headers,
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
    });
  } catch {
    throw new ApiError(
      0,
      'NETWORK_ERROR',
      'The server could not be reached; check the connection and retry',
      undefined,
    );
  }
  if (response.status === 204) return undefined as T;
  const text = await response.text();
  if (!response.ok) {
    let body: { error?: { code?: string; message?: string; details?: Record<string, unknown> } } = {};
    try {
      body = JSON.parse(text);
    } catch {
      // Not JSON (a proxy's error page): fall through to the status line.
    }
    throw new ApiError(
      response.status,
      body.error?.code ?? 'HTTP_ERROR',
      body.error?.message ?? `The server answered ${response.status} ${response.statusText}`,
      body.error?.details,
    );
  }
  return (options.text ? text : text === '' ? undefined : JSON.parse(text)) as T;
}

/** A page of a list route (`GET .../customers`): `items` and the cursor of the next page. */
export interface Page<T> {
  items: T[];
  next_cursor: string | null;
}

/** Requests as the signed-in session; tenant paths are relative to `/v1/tenants/<id>`. */
export function client(session: Session) {
  const tenantPath = (path: string) => {
    if (session.tenant === null) throw new Error('No tenant is selected');
    return `/v1/tenants/${encodeURIComponent(session.tenant.id)}${path}`;
  };
  return {
    get: <T>(path: string, query?: RequestOptions['query']) =>
      request<T>(session.token, tenantPath(path), { query }),
    send: <T>(
      method: 'POST' | 'PUT' | 'PATCH' | 'DELETE',
      path: string,
      body?: unknown,
      idempotencyKey?: string,
    ) => request<T>(session.token, tenantPath(path), { method, body, idempotencyKey }),
    text: (path: string, query?: RequestOptions['query']) =>
      request<string>(session.token, tenantPath(path), { query, text: true }),
    /** A path outside the tenant (`/v1/tenants` for the platform admin). */
    raw: <T>(path: string, options?: RequestOptions) => request<T>(session.token, path, options),
  };
}

export type Client = ReturnType<typeof client>;

/** A fresh key per user action: a double tap sends the same key, so it never earns twice. */
export function newIdempotencyKey(prefix: string): string {
  return `${prefix}-${crypto.randomUUID()}`;
}
