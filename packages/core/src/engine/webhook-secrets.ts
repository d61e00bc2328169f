import type { WebhookSubscription } from '../domain/webhook.js';
import type { SecretCodec } from '../secret-codec.js';

/** Binds a sealed webhook secret to its tenant and subscription. */
const purposeOf = (sub: WebhookSubscription) => `webhook.secret:${sub.tenant_id}:${sub.id}`;

/** The subscription as stored: its signing secrets sealed. */
export function sealWebhookSecrets(codec: SecretCodec, sub: WebhookSubscription): WebhookSubscription {
  return {
    ...sub,
    secret: codec.seal(sub.secret, purposeOf(sub)),
    previous_secret: sub.previous_secret === null ? null : codec.seal(sub.previous_secret, purposeOf(sub)),
  };
}

/** The subscription as used (answered, signed with): its signing secrets opened. */
export function openWebhookSecrets(codec: SecretCodec, sub: WebhookSubscription): WebhookSubscription {
  return {
    ...sub,
    secret: codec.open(sub.secret, purposeOf(sub)),
    previous_secret: sub.previous_secret === null ? null : codec.open(sub.previous_secret, purposeOf(sub)),
  };
}
