import {
  context,
  type Context as OtelContext,
  propagation,
  type Span,
  SpanKind,
  SpanStatusCode,
  trace,
} from '@opentelemetry/api';

/**
 * Optional OpenTelemetry tracing through `@opentelemetry/api` only: without an SDK registered in
 * the process, every call below is a no-op. With one (e.g. `node --import
 * @opentelemetry/auto-instrumentations-node/register`), each request gets a server span named
 * after its route pattern, continuing the caller's `traceparent`, and its log line gets the
 * trace id.
 */
const tracer = trace.getTracer('@laas/server');

const headerGetter = {
  keys: (carrier: Headers) => [...carrier.keys()],
  get: (carrier: Headers, key: string) => carrier.get(key) ?? undefined,
};

/** Starts the span of one request, its parent taken from the incoming headers or the active context. */
export function startRequestSpan(method: string, headers: Headers): { span: Span; ctx: OtelContext } {
  const parent = propagation.extract(context.active(), headers, headerGetter);
  const span = tracer.startSpan(
    `HTTP ${method}`,
    { kind: SpanKind.SERVER, attributes: { 'http.request.method': method } },
    parent,
  );
  return { span, ctx: trace.setSpan(parent, span) };
}

/** Names the span after the route pattern, records the answer, and ends it. */
export function endRequestSpan(
  span: Span,
  answer: { method: string; route: string; status: number; requestId: string; tenantId: string | undefined },
): void {
  span.updateName(`${answer.method} ${answer.route}`);
  span.setAttribute('http.route', answer.route);
  span.setAttribute('http.response.status_code', answer.status);
  span.setAttribute('laas.request_id', answer.requestId);
  if (answer.tenantId !== undefined) span.setAttribute('laas.tenant_id', answer.tenantId);
  if (answer.status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
  span.end();
}

/** The trace id of a span that records (an SDK is registered; ask before it ends), else undefined. */
export function traceIdOf(span: Span): string | undefined {
  return span.isRecording() ? span.spanContext().traceId : undefined;
}

/** Runs `fn` with `ctx` active (spans made inside, e.g. by a pg instrumentation, become children). */
export function withContext<T>(ctx: OtelContext, fn: () => T): T {
  return context.with(ctx, fn);
}
