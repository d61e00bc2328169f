import type { Engine, Store, WorkBacklog, WorkerObserver } from '@laas/core';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/** The server's metrics, on a registry of its own (several apps in one process do not collide). */
export function createMetrics(options: { defaultMetrics: boolean }) {
  const registry = new Registry();
  if (options.defaultMetrics) collectDefaultMetrics({ register: registry });
  const labelNames = ['method', 'route', 'status'] as const;
  return {
    registry,
    requests: new Counter({
      name: 'laas_http_requests_total',
      help: 'HTTP requests by method, route pattern and status',
      labelNames,
      registers: [registry],
    }),
    duration: new Histogram({
      name: 'laas_http_request_duration_seconds',
      help: 'HTTP request latency by method, route pattern and status',
      labelNames,
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    }),
    eventsIngested: new Counter({
      name: 'laas_events_ingested_total',
      help: 'Events ingested (replayed: an idempotent replay of an event already ingested)',
      labelNames: ['replayed'] as const,
      registers: [registry],
    }),
    rewardsIssued: new Counter({
      name: 'laas_rewards_issued_total',
      help: 'Issuances created (issued or reserved) by ingest and by points redemptions',
      labelNames: ['state'] as const,
      registers: [registry],
    }),
    whatsappMessages: new Counter({
      name: 'laas_whatsapp_messages_total',
      help: 'WhatsApp messages by direction (in, out) and status (received, duplicate, failed; sent, queued, failed, delivered, read)',
      labelNames: ['direction', 'status'] as const,
      registers: [registry],
    }),
    budgetRefusals: new Counter({
      name: 'laas_budget_refusals_total',
      help: 'Rule decisions refused because the budget was exhausted',
      registers: [registry],
    }),
    deliveries: new Counter({
      name: 'laas_deliveries_total',
      help: 'Outbound delivery attempts settled, by channel (webhook, whatsapp) and outcome (delivered: accepted by the receiver, for WhatsApp by the Cloud API; retry; failed: given up; disabled: the attempt disabled its webhook subscription; abandoned: its subscription was gone)',
      labelNames: ['channel', 'outcome'] as const,
      registers: [registry],
    }),
    webhookSeconds: new Histogram({
      name: 'laas_webhook_delivery_seconds',
      help: 'Duration of one webhook HTTP attempt (connect to answer or timeout), by outcome',
      labelNames: ['outcome'] as const,
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 15, 30],
      registers: [registry],
    }),
    workerRuns: new Counter({
      name: 'laas_worker_runs_total',
      help: 'Background jobs run, one per tenant per pass, by job (outbox fan-out, webhook deliveries, expiry, scheduled events, idempotency purge, channel whatsapp) and outcome (ok, error)',
      labelNames: ['job', 'outcome'] as const,
      registers: [registry],
    }),
    workerErrors: new Counter({
      name: 'laas_worker_errors_total',
      help: 'Errors the background worker reported (logged as "worker error"), by job',
      labelNames: ['job'] as const,
      registers: [registry],
    }),
    workerTicks: new Counter({
      name: 'laas_worker_ticks_total',
      help: 'Passes of the background worker over every tenant',
      registers: [registry],
    }),
    workerTickSeconds: new Histogram({
      name: 'laas_worker_tick_seconds',
      help: 'Duration of one pass of the background worker over every tenant',
      buckets: [0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300],
      registers: [registry],
    }),
    workerLastTick: new Gauge({
      name: 'laas_worker_last_tick_timestamp_seconds',
      help: 'When the background worker of this process last finished a pass (Unix time; absent when it has not)',
      registers: [registry],
    }),
    transactionRetries: new Counter({
      name: 'laas_transaction_retries_total',
      help: 'Transactions rolled back and run again, by source (engine, worker) and reason (store_unavailable: deadlock, serialization failure, lost connection; concurrent_insert: a concurrent request inserted the same key first)',
      labelNames: ['source', 'reason'] as const,
      registers: [registry],
    }),
  };
}

/** Reports what the engine does (transaction retries) to the metrics; returns the unsubscribe. */
export function observeEngine(metrics: Metrics, engine: Engine): () => void {
  return engine.observe({
    transactionRetried: (reason) => metrics.transactionRetries.inc({ source: 'engine', reason }),
  });
}

/** A worker observer that counts into the metrics (see `createWorker`'s `observer` option). */
export function workerObserverOf(metrics: Metrics): WorkerObserver {
  return {
    job: (job, outcome) => metrics.workerRuns.inc({ job, outcome }),
    error: (job) => metrics.workerErrors.inc({ job }),
    delivery: (outcome, seconds) => {
      metrics.deliveries.inc({ channel: 'webhook', outcome });
      if (seconds !== null) metrics.webhookSeconds.observe({ outcome }, seconds);
    },
    tick: (_result, seconds) => {
      metrics.workerTicks.inc();
      metrics.workerTickSeconds.observe(seconds);
      metrics.workerLastTick.set(Date.now() / 1000);
    },
    transactionRetried: () =>
      metrics.transactionRetries.inc({ source: 'worker', reason: 'store_unavailable' }),
  };
}

/**
 * Gauges read from the store on each scrape: the outbox and delivery backlog summed over every
 * tenant (one query per scrape, no tenant named), and the PostgreSQL pool when the store has one.
 * A scrape when the database does not answer leaves the backlog gauges at their last values
 * (`/ready` says why).
 */
export function registerStoreGauges(metrics: Metrics, store: Store, clock: () => number = Date.now): void {
  const { registry } = metrics;
  // prom-client collects every metric of a scrape at once: the three gauges share one query.
  let inFlight: Promise<WorkBacklog | null> | undefined;
  const backlog = (): Promise<WorkBacklog | null> => {
    // A store written against an older port may lack backlog(): the gauges then stay at 0.
    inFlight ??= Promise.resolve()
      .then(() => store.platform.backlog())
      .catch(() => null)
      .finally(() => {
        inFlight = undefined;
      });
    return inFlight;
  };
  const ageOf = (iso: string | null) => (iso === null ? 0 : Math.max(0, (clock() - Date.parse(iso)) / 1000));
  new Gauge({
    name: 'laas_outbox_oldest_pending_seconds',
    help: 'Age of the oldest outbox event not yet fanned out to webhook deliveries, over every tenant (0 when none waits): grows when no worker runs',
    registers: [registry],
    async collect() {
      const b = await backlog();
      if (b !== null) this.set(ageOf(b.oldest_undispatched_at));
    },
  });
  new Gauge({
    name: 'laas_webhook_deliveries_pending',
    help: 'Webhook deliveries pending (due now or waiting for a retry), over every tenant',
    registers: [registry],
    async collect() {
      const b = await backlog();
      if (b !== null) this.set(b.pending_deliveries);
    },
  });
  new Gauge({
    name: 'laas_webhook_oldest_due_seconds',
    help: 'How long the most overdue pending webhook delivery has been due, over every tenant (0 when none is due): grows when the worker falls behind',
    registers: [registry],
    async collect() {
      const b = await backlog();
      if (b !== null) this.set(ageOf(b.earliest_pending_attempt_at));
    },
  });
  const poolStats = store.poolStats?.bind(store);
  if (poolStats === undefined) return;
  new Gauge({
    name: 'laas_pg_pool_connections',
    help: 'PostgreSQL pool connections by state (total: open; idle; max: the pool size)',
    labelNames: ['state'] as const,
    registers: [registry],
    collect() {
      const stats = poolStats();
      this.set({ state: 'total' }, stats.total);
      this.set({ state: 'idle' }, stats.idle);
      this.set({ state: 'max' }, stats.max);
    },
  });
  new Gauge({
    name: 'laas_pg_pool_waiting',
    help: 'Callers waiting for a PostgreSQL pool connection',
    registers: [registry],
    collect() {
      this.set(poolStats().waiting);
    },
  });
}

export type Metrics = ReturnType<typeof createMetrics>;
