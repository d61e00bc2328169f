import type { WebhookAttempt, WebhookDelivery, WebhookSubscription } from '../domain/webhook.js';
import type { Tx } from '../ports/store.js';
import { nextRetryDelay, parseRetryAfter } from './retry-schedule.js';
import { signWebhook } from './signature.js';

/** The start of a response body kept with an attempt. */
export const RESPONSE_EXCERPT_BYTES = 1024;

export interface DeliveryPolicy {
  schedule: readonly number[];
  jitter: number;
  random: () => number;
  timeoutMs: number;
  /** Consecutive failed deliveries after which a subscription is disabled. */
  disableAfterFailures: number;
}

/** What one HTTP attempt gave. */
export interface AttemptOutcome {
  at: Date;
  statusCode: number | null;
  durationMs: number;
  excerpt: string;
  error: string | null;
  retryAfterMs: number | null;
}

/**
 * POSTs a delivery to its subscription, signed per Standard Webhooks with the current secret and,
 * during a rotation, the previous one. `webhook-timestamp` is the real time (receivers compare it
 * with their own clocks, whatever clock schedules the worker). Never throws.
 */
export async function sendDelivery(
  delivery: WebhookDelivery,
  subscription: WebhookSubscription,
  options: { fetch: typeof fetch; timeoutMs: number; clock: () => Date },
): Promise<AttemptOutcome> {
  const at = options.clock();
  const timestamp = Math.floor(Date.now() / 1000);
  const secrets = [subscription.secret];
  if (
    subscription.previous_secret !== null &&
    subscription.previous_secret_expires_at !== null &&
    Date.parse(subscription.previous_secret_expires_at) > at.getTime()
  ) {
    secrets.push(subscription.previous_secret);
  }
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  try {
    const response = await options.fetch(subscription.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'user-agent': 'LaaS-Webhooks/1',
        'webhook-id': delivery.outbox_id,
        'webhook-timestamp': String(timestamp),
        'webhook-signature': signWebhook({
          id: delivery.outbox_id,
          timestamp,
          body: delivery.payload,
          secrets,
        }),
      },
      body: delivery.payload,
      // A redirect is not a 2xx: it is recorded, not followed.
      redirect: 'manual',
      signal: AbortSignal.timeout(options.timeoutMs),
    });
    const excerpt = await readExcerpt(response);
    const retryAfterMs =
      response.status === 429 || response.status === 503
        ? parseRetryAfter(response.headers.get('retry-after'), options.clock())
        : null;
    return { at, statusCode: response.status, durationMs: elapsed(), excerpt, error: null, retryAfterMs };
  } catch (error) {
    const name = (error as { name?: unknown } | null)?.name;
    const message =
      name === 'TimeoutError' || name === 'AbortError'
        ? `timed out after ${options.timeoutMs} ms`
        : describe(error);
    return { at, statusCode: null, durationMs: elapsed(), excerpt: '', error: message, retryAfterMs: null };
  }
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = (error as { cause?: unknown }).cause;
  const detail = cause instanceof Error ? `: ${cause.message}` : '';
  return `${error.message}${detail}`.slice(0, 500);
}

/** At most {@link RESPONSE_EXCERPT_BYTES} of the body, without reading the rest. */
async function readExcerpt(response: Response): Promise<string> {
  if (response.body === null) return '';
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    while (size < RESPONSE_EXCERPT_BYTES) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.byteLength;
    }
  } catch {
    // A body cut short (timeout, reset) still leaves what arrived.
  } finally {
    reader.cancel().catch(() => {});
  }
  const bytes = Buffer.concat(chunks).subarray(0, RESPONSE_EXCERPT_BYTES);
  // Cutting at 1 KB may split a character: drop the broken tail.
  return bytes.toString('utf8').replace(/\uFFFD+$/, '');
}

/** What recording an attempt decided. */
export type DeliveryResult = 'delivered' | 'retry' | 'failed' | 'disabled';

/**
 * Records one attempt and its consequences in the caller's (new) transaction: the attempt row;
 * the delivery delivered, rescheduled (the retry schedule, or `Retry-After` on 429/503) or failed
 * once the schedule is spent; on a 410 the subscription disabled and its pending deliveries
 * given up; after `disableAfterFailures` consecutive failed deliveries the same.
 */
export async function recordAttempt(
  tx: Tx,
  delivery: WebhookDelivery,
  outcome: AttemptOutcome,
  policy: DeliveryPolicy,
  options: { now: Date; newId: () => string },
): Promise<DeliveryResult> {
  const now = options.now.toISOString();
  const attempt: WebhookAttempt = {
    id: options.newId(),
    tenant_id: delivery.tenant_id,
    delivery_id: delivery.id,
    at: outcome.at.toISOString(),
    status_code: outcome.statusCode,
    duration_ms: outcome.durationMs,
    response_excerpt: outcome.excerpt,
    error: outcome.error,
  };
  await tx.deliveries.appendAttempt(attempt);
  const attempts = delivery.attempts + 1;
  const base = {
    ...delivery,
    attempts,
    locked_until: null,
    last_status: outcome.statusCode,
    updated_at: now,
  };
  const code = outcome.statusCode;
  if (code !== null && code >= 200 && code < 300) {
    await tx.deliveries.update({ ...base, status: 'delivered', next_attempt_at: null, last_error: null });
    await tx.webhooks.countDelivery(delivery.subscription_id, false);
    return 'delivered';
  }
  const error = outcome.error ?? `HTTP ${code}`;
  if (code === 410) {
    const reason = `The endpoint answered 410 Gone at ${now}`;
    await tx.deliveries.update({ ...base, status: 'failed', next_attempt_at: null, last_error: error });
    await tx.webhooks.disable(delivery.subscription_id, reason, now);
    await tx.deliveries.failPending(delivery.subscription_id, `subscription disabled: ${reason}`, now);
    return 'disabled';
  }
  const delay = nextRetryDelay(attempts, { ...policy, retryAfterMs: outcome.retryAfterMs });
  if (delay !== null) {
    const next = new Date(options.now.getTime() + delay).toISOString();
    await tx.deliveries.update({ ...base, status: 'pending', next_attempt_at: next, last_error: error });
    return 'retry';
  }
  await tx.deliveries.update({ ...base, status: 'failed', next_attempt_at: null, last_error: error });
  const failures = await tx.webhooks.countDelivery(delivery.subscription_id, true);
  if (failures !== null && failures >= policy.disableAfterFailures) {
    const reason = `${failures} consecutive deliveries failed (last: ${error})`;
    await tx.webhooks.disable(delivery.subscription_id, reason, now);
    await tx.deliveries.failPending(delivery.subscription_id, `subscription disabled: ${reason}`, now);
    return 'disabled';
  }
  return 'failed';
}
