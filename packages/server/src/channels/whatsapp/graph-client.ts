/**
 * One call of the Cloud API's send endpoint: `POST {graphBase}/{apiVersion}/{phoneNumberId}/messages`
 * with the tenant's bearer token. Classifies the answer; it never throws.
 */
import type { ResolvedWhatsAppClientConfig } from '../../config.js';
import type { OutboundPayload } from './outbound.js';

/** Meta's "rate limit hit" error: back off and retry. */
export const RATE_LIMIT_CODE = 130429;

export type SendOutcome =
  | { kind: 'sent'; waMessageId: string }
  /** 130429: back off and try again. */
  | { kind: 'rate_limited'; error: string }
  /** No answer, or a 5xx: may work later. */
  | { kind: 'unavailable'; error: string }
  /** Refused for good (bad token, not a WhatsApp number, template not approved, ...). */
  | { kind: 'refused'; error: string };

interface GraphError {
  message?: string;
  code?: number;
  error_subcode?: number;
  error_data?: { details?: string };
}

function describe(status: number, error: GraphError | undefined): string {
  if (error === undefined) return `HTTP ${status}`;
  const code = error.code === undefined ? '' : ` (#${error.code})`;
  const details = error.error_data?.details ? `: ${error.error_data.details}` : '';
  return `${error.message ?? `HTTP ${status}`}${code}${details}`.slice(0, 500);
}

export async function sendToGraph(
  client: ResolvedWhatsAppClientConfig,
  phoneNumberId: string,
  accessToken: string,
  payload: OutboundPayload,
): Promise<SendOutcome> {
  const url = `${client.graphBase}/${client.apiVersion}/${encodeURIComponent(phoneNumberId)}/messages`;
  let response: Response;
  let text: string;
  try {
    response = await client.fetch(url, {
      method: 'POST',
      headers: { authorization: `Bearer ${accessToken}`, 'content-type': 'application/json' },
      body: JSON.stringify(payload),
      signal: AbortSignal.timeout(client.timeoutMs),
    });
    text = await response.text();
  } catch (error) {
    const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    return { kind: 'unavailable', error: `no answer from the Graph API: ${reason}`.slice(0, 500) };
  }
  let json: { messages?: Array<{ id?: string }>; error?: GraphError } | undefined;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  const id = json?.messages?.[0]?.id;
  if (response.ok && typeof id === 'string') return { kind: 'sent', waMessageId: id };
  const error = describe(response.status, json?.error);
  if (json?.error?.code === RATE_LIMIT_CODE || response.status === 429)
    return { kind: 'rate_limited', error };
  // A 2xx without a message id is refused rather than retried: it may have been sent.
  if (response.status >= 500) return { kind: 'unavailable', error };
  return { kind: 'refused', error };
}
