import { createHmac } from 'node:crypto';

/**
 * The `webhook-signature` header of Standard Webhooks v1: one `v1,<base64>` entry per secret,
 * space-separated, each an HMAC-SHA256 over `{id}.{timestamp}.{body}` keyed with the secret's
 * bytes (the base64 after the `whsec_` prefix).
 *
 * @example
 * signWebhook({ id: 'msg_1', timestamp: 1700000000, body: '{}', secrets: ['whsec_...'] });
 * // 'v1,K5oZfzN95Z9UVu1EsfQmfVNQhnkZ2pj9o9NDN/H/pI4='
 */
export function signWebhook(input: {
  id: string;
  /** Unix seconds, as sent in `webhook-timestamp`. */
  timestamp: number;
  body: string;
  secrets: readonly string[];
}): string {
  const content = `${input.id}.${input.timestamp}.${input.body}`;
  return input.secrets
    .map((secret) => {
      const key = Buffer.from(secret.startsWith('whsec_') ? secret.slice(6) : secret, 'base64');
      return `v1,${createHmac('sha256', key).update(content, 'utf8').digest('base64')}`;
    })
    .join(' ');
}
