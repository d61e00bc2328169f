/**
 * Optional OpenTelemetry tracing: without an SDK nothing happens (no trace id in the logs); with
 * one registered, every request is a server span named after its route pattern that continues
 * the caller's W3C `traceparent`, and its log line carries the trace id.
 */
import { createEngine, memoryStore } from '@laas/core';
import { propagation, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import pino from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { createServer } from '../src/index.js';

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const PARENT_SPAN = '00f067aa0ba902b7';

function app() {
  const lines: Array<Record<string, unknown>> = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => lines.push(JSON.parse(line)) });
  const store = memoryStore();
  const server = createServer({
    engine: createEngine({ store }),
    store,
    config: { adminToken: 'admin-token', rateLimit: false, logger },
  });
  return { server, lines, store };
}

describe('OpenTelemetry tracing', () => {
  afterAll(() => {
    trace.disable();
    propagation.disable();
  });

  it('does nothing without an SDK: no trace id in the log line', async () => {
    const { server, lines, store } = app();
    const r = await server.request('/health', {
      headers: { traceparent: `00-${TRACE_ID}-${PARENT_SPAN}-01` },
    });
    expect(r.status).toBe(200);
    expect(lines.find((l) => l.msg === 'request')).not.toHaveProperty('traceId');
    await store.close();
  });

  it('with an SDK: one server span per request, named by route, child of the incoming traceparent', async () => {
    const exporter = new InMemorySpanExporter();
    trace.setGlobalTracerProvider(
      new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }),
    );
    propagation.setGlobalPropagator(new W3CTraceContextPropagator());
    const { server, lines, store } = app();
    const created = await server.request('/v1/tenants', {
      method: 'POST',
      headers: { authorization: 'Bearer admin-token', 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'Traced shop' }),
    });
    const tenant = (await created.json()) as { id: string };
    const traced = await server.request(`/v1/tenants/${tenant.id}`, {
      headers: { authorization: 'Bearer admin-token', traceparent: `00-${TRACE_ID}-${PARENT_SPAN}-01` },
    });
    expect(traced.status).toBe(200);
    const refused = await server.request(`/v1/tenants/${tenant.id}`);
    expect(refused.status).toBe(401);

    const spans = exporter.getFinishedSpans();
    expect(spans.map((s) => s.name)).toEqual([
      'POST /v1/tenants',
      'GET /v1/tenants/:tid',
      'GET /v1/tenants/:tid',
    ]);
    const [, child, unauthenticated] = spans;
    expect(child?.kind).toBe(SpanKind.SERVER);
    expect(child?.spanContext().traceId).toBe(TRACE_ID);
    expect(child?.parentSpanContext?.spanId).toBe(PARENT_SPAN);
    expect(child?.attributes).toMatchObject({
      'http.request.method': 'GET',
      'http.route': '/v1/tenants/:tid',
      'http.response.status_code': 200,
      'laas.tenant_id': tenant.id,
    });
    expect(child?.attributes['laas.request_id']).toBe(traced.headers.get('x-request-id'));
    // A request without traceparent starts its own trace.
    expect(unauthenticated?.spanContext().traceId).not.toBe(TRACE_ID);
    expect(unauthenticated?.attributes['http.response.status_code']).toBe(401);
    expect(unauthenticated?.status.code).toBe(SpanStatusCode.UNSET);
    // The log line of the traced request names its trace.
    const logged = lines.filter((l) => l.msg === 'request').map((l) => l.traceId);
    expect(logged[1]).toBe(TRACE_ID);
    expect(logged).toHaveLength(3);
    await store.close();
  });
});
