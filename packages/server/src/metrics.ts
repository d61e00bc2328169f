import { Counter, collectDefaultMetrics, Histogram, Registry } from 'prom-client';

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
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
