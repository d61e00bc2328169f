import type { OutboxEvent } from '../domain/outbox.js';
import { auditRetentionDaysOf, type Tenant } from '../domain/tenant.js';
import type { WebhookDelivery, WebhookSubscription } from '../domain/webhook.js';
import type { Engine } from '../engine/types.js';
import { openWebhookSecrets } from '../engine/webhook-secrets.js';
import { StoreUnavailableError } from '../errors.js';
import { newId as uuidv7 } from '../ids.js';
import type { Store, Tx } from '../ports/store.js';
import { localNow } from '../time.js';
import { type DeliveryPolicy, type DeliveryResult, recordAttempt, sendDelivery } from './deliver.js';
import { fanOutOutbox } from './fan-out.js';
import { runReminders } from './reminders.js';
import { DEFAULT_RETRY_SCHEDULE } from './retry-schedule.js';
import { runScheduledEvents } from './scheduled-events.js';
import { createWebhookFetch } from './webhook-address.js';

/**
 * A messaging channel (WhatsApp, say) plugged into the worker: it hears about every outbox event
 * as it is fanned out, and gets a turn once per tenant on every pass to send what it queued.
 */
export interface WorkerChannel {
  /** Names the channel in `onError` contexts (`channel <name>`). */
  readonly name: string;
  /**
   * Called for each outbox event inside the fan-out transaction, before the event is marked
   * dispatched: whatever it writes through `tx` (a queued notification) commits atomically with
   * the dispatch. A throw rolls the whole batch back and it is tried again on the next pass, so
   * an event the channel cannot handle should be recorded and skipped, not thrown.
   */
  onOutboxEvent?(tx: Tx, event: OutboxEvent): Promise<void>;
  /**
   * Runs once per tenant per pass, outside any transaction (HTTP belongs here); errors go to
   * `onError` and the pass carries on.
   */
  tick?(tenant: Tenant, now: Date): Promise<void>;
}

/**
 * Told how the worker's work went, for metrics (the server feeds its Prometheus counters from
 * one). Called synchronously; a throw is caught and ignored.
 */
export interface WorkerObserver {
  /**
   * One job of one tenant's pass ended: `outbox fan-out`, `webhook deliveries`, `expiry`, `reminders`,
   * `tier downgrades`, `scheduled events`, `idempotency purge` or `channel <name>`.
   */
  job?(job: string, outcome: 'ok' | 'error'): void;
  /** Every error the worker reports to `onError` too, by job (`tick` for a failed pass). */
  error?(job: string): void;
  /**
   * A webhook delivery was settled for now: an HTTP attempt ended `delivered`, `retry`,
   * `failed` (given up) or `disabled` (the subscription was disabled), with the attempt's
   * duration in seconds; or `abandoned` without sending (subscription deleted or disabled
   * meanwhile; `seconds` null).
   */
  delivery?(outcome: DeliveryResult | 'abandoned', seconds: number | null): void;
  /** A pass over every tenant ended, after `seconds`. */
  tick?(result: TickResult, seconds: number): void;
  /** A worker transaction was rolled back by the database and run again. */
  transactionRetried?(): void;
}

/** Options of {@link createWorker}. */
export interface WorkerOptions {
  engine: Engine;
  /** Default `engine.store`. */
  store?: Store;
  /** What the worker calls "now" (due deliveries, expiry, the local day). Default the real time. */
  clock?: () => Date;
  /**
   * How deliveries are sent. Default: node's http(s) client behind the webhook address policy
   * (https to public addresses only, checked on the address connected to; see
   * `allowPrivateWebhooks`).
   */
  fetch?: typeof fetch;
  /**
   * Deliver to `http` URLs and to loopback, private and link-local addresses too
   * (`LAAS_WEBHOOK_ALLOW_PRIVATE=true`): development and tests only. Default false.
   */
  allowPrivateWebhooks?: boolean;
  /** Waits after each failed attempt, in ms; default {@link DEFAULT_RETRY_SCHEDULE}. */
  schedule?: readonly number[];
  /** Spread of each wait, 0..1 (default 0.1: ±10 %). */
  jitter?: number;
  /** Default `Math.random`. */
  random?: () => number;
  /** Per-request timeout, default 15 000 ms. */
  timeoutMs?: number;
  /** How long a claimed delivery stays this worker's (default `2 × timeoutMs + 30 s`). */
  leaseMs?: number;
  /** Pause between two ticks of `start()`, default 1 000 ms. */
  intervalMs?: number;
  /** Deliveries sent per batch and outbox rows fanned out per transaction, default 50. */
  batchSize?: number;
  /** Consecutive failed deliveries after which a subscription is disabled, default 5. */
  disableAfterFailures?: number;
  /** Idempotency keys older than this are purged (at least 24, default 24), once an hour. */
  idempotencyRetentionHours?: number;
  /** Run the daily scheduled events (default true). */
  scheduledEvents?: boolean;
  /** Messaging channels fed from the outbox and ticked once per tenant per pass. */
  channels?: readonly WorkerChannel[];
  /** Told about every error of a tick (which carries on with the next tenant). */
  onError?: (error: unknown, context: { tenantId?: string; job: string }) => void;
  /** Told how each job, delivery and pass went (metrics). */
  observer?: WorkerObserver;
  /** Ids of deliveries and attempts; default UUIDv7. */
  ids?: () => string;
}

/** What one {@link Worker.tick} did, summed over the tenants. */
export interface TickResult {
  tenants: number;
  /** Outbox events fanned out. */
  dispatched: number;
  /** HTTP attempts made, and how they ended. */
  attempts: number;
  delivered: number;
  retried: number;
  failed: number;
  disabled: number;
  expired: number;
  /** `points.expiring` and `reward.expiring` events written. */
  reminders: number;
  birthdays: number;
  inactive: number;
  purged: number;
  /** Audit rows past their tenant's `audit_retention_days`, deleted. */
  audit_purged: number;
  errors: number;
}

export interface Worker {
  /**
   * One pass over every tenant: fan the outbox out to deliveries (and to the channels), send the
   * due deliveries, give each channel its turn (HTTP
   * outside any transaction: claim with a lease, send, record in a new transaction), expire due
   * rewards, reservations and points, run the day's scheduled events once per local day, and purge
   * old idempotency keys. Concurrent calls of one worker share the running pass.
   */
  tick(): Promise<TickResult>;
  /** Ticks every `intervalMs` (the pause starts when a tick ends). */
  start(): void;
  /** Stops the loop and waits for the running tick. */
  stop(): Promise<void>;
  readonly running: boolean;
}

const HOUR = 3_600_000;

/**
 * The background worker: outbound webhooks (Standard Webhooks signatures, retries with backoff,
 * every attempt recorded), expiry and the daily scheduled events. Several workers may run against
 * one PostgreSQL: claims use `FOR UPDATE SKIP LOCKED` and leases, so nothing is done twice.
 *
 * @example
 * const worker = createWorker({ engine });
 * worker.start();
 * // ... on shutdown:
 * await worker.stop();
 */
export function createWorker(options: WorkerOptions): Worker {
  const { engine } = options;
  const store = options.store ?? engine.store;
  const clock = options.clock ?? (() => new Date());
  const fetchImpl =
    options.fetch ?? createWebhookFetch({ allowPrivate: options.allowPrivateWebhooks ?? false });
  const newId = options.ids ?? uuidv7;
  const timeoutMs = options.timeoutMs ?? 15_000;
  const leaseMs = options.leaseMs ?? 2 * timeoutMs + 30_000;
  const intervalMs = options.intervalMs ?? 1000;
  const batchSize = options.batchSize ?? 50;
  const retentionHours = options.idempotencyRetentionHours ?? 24;
  if (!(retentionHours >= 24)) throw new Error('Idempotency keys are kept at least 24 hours');
  const policy: DeliveryPolicy = Object.freeze({
    schedule: options.schedule ?? DEFAULT_RETRY_SCHEDULE,
    jitter: options.jitter ?? 0.1,
    random: options.random ?? Math.random,
    timeoutMs,
    disableAfterFailures: options.disableAfterFailures ?? 5,
  });
  const observer = options.observer ?? {};
  /** Calls an observer method; its failure is not the worker's. */
  const observe = (call: (o: WorkerObserver) => void): void => {
    try {
      call(observer);
    } catch {
      // ignored: metrics must not break the work
    }
  };
  const reportError = options.onError ?? (() => {});
  const onError = (error: unknown, context: { tenantId?: string; job: string }): void => {
    observe((o) => o.error?.(context.job));
    reportError(error, context);
  };
  const channels = Object.freeze([...(options.channels ?? [])]);
  /** tenant id → the local date whose scheduled events this worker ran. */
  const scheduledDay = new Map<string, string>();
  /** tenant id → when this worker last purged its idempotency keys. */
  const purgedAt = new Map<string, number>();

  /** A subscription as read (its secrets sealed at rest), with the secrets to sign with. */
  const openSecrets = (sub: WebhookSubscription | null) =>
    sub === null ? null : openWebhookSecrets(engine.secrets, sub);

  async function inTx<T>(tenantId: string, fn: (tx: Tx) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await store.transaction(tenantId, fn);
      } catch (error) {
        if (error instanceof StoreUnavailableError && error.safeToRetry && attempt < 4) {
          observe((o) => o.transactionRetried?.());
          continue;
        }
        throw error;
      }
    }
  }

  async function job<T>(
    result: TickResult,
    tenantId: string,
    name: string,
    fn: () => Promise<T>,
    observed = true,
  ): Promise<T | undefined> {
    try {
      const value = await fn();
      if (observed) observe((o) => o.job?.(name, 'ok'));
      return value;
    } catch (error) {
      result.errors++;
      onError(error, { tenantId, job: name });
      if (observed) observe((o) => o.job?.(name, 'error'));
      return undefined;
    }
  }

  async function deliverDue(tenantId: string, result: TickResult): Promise<void> {
    for (;;) {
      const now = clock();
      const claimed = await inTx(tenantId, async (tx) => {
        const deliveries = await tx.deliveries.claimDue(now.toISOString(), batchSize, leaseMs);
        const subscriptions = new Map<string, WebhookSubscription | null>();
        for (const d of deliveries) {
          if (!subscriptions.has(d.subscription_id))
            subscriptions.set(d.subscription_id, await tx.webhooks.get(d.subscription_id).then(openSecrets));
        }
        return deliveries.map((delivery) => ({
          delivery,
          subscription: subscriptions.get(delivery.subscription_id) ?? null,
        }));
      });
      await Promise.all(claimed.map((c) => deliverOne(tenantId, c.delivery, c.subscription, result)));
      if (claimed.length < batchSize) return;
    }
  }

  async function deliverOne(
    tenantId: string,
    delivery: WebhookDelivery,
    subscription: WebhookSubscription | null,
    result: TickResult,
  ): Promise<void> {
    await job(
      result,
      tenantId,
      'webhook delivery',
      async () => {
        if (subscription === null || !subscription.active) {
          // Deleted or disabled meanwhile: give the delivery up without sending it.
          const reason =
            subscription === null
              ? 'subscription deleted'
              : `subscription disabled${subscription.disabled_reason ? `: ${subscription.disabled_reason}` : ''}`;
          const at = clock().toISOString();
          await inTx(tenantId, (tx) =>
            tx.deliveries.update({
              ...delivery,
              status: 'failed',
              next_attempt_at: null,
              locked_until: null,
              last_error: reason,
              updated_at: at,
            }),
          );
          result.failed++;
          observe((o) => o.delivery?.('abandoned', null));
          return;
        }
        const started = performance.now();
        const outcome = await sendDelivery(delivery, subscription, { fetch: fetchImpl, timeoutMs, clock });
        const seconds = (performance.now() - started) / 1000;
        result.attempts++;
        const decided: DeliveryResult = await inTx(tenantId, (tx) =>
          recordAttempt(tx, delivery, outcome, policy, { now: clock(), newId }),
        );
        if (decided === 'delivered') result.delivered++;
        else if (decided === 'retry') result.retried++;
        else if (decided === 'failed') result.failed++;
        else result.disabled++;
        observe((o) => o.delivery?.(decided, seconds));
      },
      false,
    );
  }

  async function tenantPass(tenant: Tenant, result: TickResult): Promise<void> {
    const id = tenant.id;
    await job(result, id, 'outbox fan-out', async () => {
      for (;;) {
        const n = await inTx(id, (tx) =>
          fanOutOutbox(tx, { now: clock().toISOString(), limit: batchSize, newId, channels }),
        );
        result.dispatched += n;
        if (n < batchSize) return;
      }
    });
    await job(result, id, 'webhook deliveries', () => deliverDue(id, result));
    for (const channel of channels) {
      const channelTick = channel.tick?.bind(channel);
      if (channelTick !== undefined)
        await job(result, id, `channel ${channel.name}`, () => channelTick(tenant, clock()));
    }
    await job(result, id, 'expiry', async () => {
      const expired = await engine.expireDue(id, clock());
      result.expired += expired.expired + expired.cancelled + expired.points_expired;
    });
    await job(result, id, 'reminders', async () => {
      const r = await runReminders(engine, tenant, clock(), newId);
      result.reminders += r.points + r.rewards;
    });
    // Tier downgrades whose grace ended (docs/tiers.md); each customer is locked as ingest locks it.
    await job(result, id, 'tier downgrades', () => engine.tiers.applyDue(id, clock()));
    if (options.scheduledEvents ?? true) {
      const now = clock();
      const day = localNow(now.toISOString(), tenant.timezone).date;
      if (scheduledDay.get(id) !== day) {
        await job(result, id, 'scheduled events', async () => {
          const r = await runScheduledEvents(engine, tenant, now, (error) =>
            onError(error, { tenantId: id, job: 'scheduled events' }),
          );
          result.birthdays += r.birthdays;
          result.inactive += r.inactive;
          result.errors += r.errors;
          // Refused ingests were reported; the day is done (a restart re-runs it harmlessly).
          scheduledDay.set(id, day);
        });
      }
    }
    const now = clock().getTime();
    if (now - (purgedAt.get(id) ?? Number.NEGATIVE_INFINITY) >= HOUR) {
      await job(result, id, 'idempotency purge', async () => {
        result.purged += await engine.purgeIdempotencyKeys(id, new Date(now - retentionHours * HOUR));
        purgedAt.set(id, now);
      });
      await job(result, id, 'audit purge', async () => {
        const before = new Date(now - auditRetentionDaysOf(tenant.settings) * 24 * HOUR).toISOString();
        result.audit_purged += await engine.transaction(id, (tx) => tx.audit.purge(before));
      });
    }
  }

  async function pass(): Promise<TickResult> {
    const started = performance.now();
    const result: TickResult = {
      tenants: 0,
      dispatched: 0,
      attempts: 0,
      delivered: 0,
      retried: 0,
      failed: 0,
      disabled: 0,
      expired: 0,
      reminders: 0,
      birthdays: 0,
      inactive: 0,
      purged: 0,
      audit_purged: 0,
      errors: 0,
    };
    let cursor: string | undefined;
    do {
      const page = await store.platform.listTenants({
        limit: 200,
        ...(cursor === undefined ? {} : { cursor }),
      });
      for (const tenant of page.items) {
        result.tenants++;
        await tenantPass(tenant, result);
      }
      cursor = page.next_cursor ?? undefined;
    } while (cursor !== undefined);
    observe((o) => o.tick?.(result, (performance.now() - started) / 1000));
    return result;
  }

  let current: Promise<TickResult> | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let running = false;

  const tick = (): Promise<TickResult> => {
    current ??= pass().finally(() => {
      current = undefined;
    });
    return current;
  };

  const loop = (): void => {
    if (!running) return;
    tick()
      .catch((error: unknown) => onError(error, { job: 'tick' }))
      .finally(() => {
        if (running) timer = setTimeout(loop, intervalMs);
      });
  };

  return {
    tick,
    start() {
      if (running) return;
      running = true;
      loop();
    },
    async stop() {
      running = false;
      if (timer !== undefined) clearTimeout(timer);
      timer = undefined;
      await current?.catch(() => {});
    },
    get running() {
      return running;
    },
  };
}
