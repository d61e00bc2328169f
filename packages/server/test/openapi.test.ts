import { ruleContextMarkdown } from '@laas/core';
import { Validator } from '@seriousme/openapi-schema-validator';
import { describe, expect, it } from 'vitest';
import { API_ROUTES } from '../src/index.js';
import { ingestResultSchema } from '../src/openapi/schemas.js';
import { type Json, STORE_KINDS, useServer } from './harness.js';

describe.each(STORE_KINDS)('OpenAPI document (%s)', (kind) => {
  const server = useServer(kind);

  it('is a valid OpenAPI 3.1 document', async () => {
    const doc = await server.request('GET', '/openapi.json', { token: null });
    expect(doc.status).toBe(200);
    expect(doc.body.openapi).toBe('3.1.0');
    const validator = new Validator();
    const result = await validator.validate(doc.body);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
  });

  it('documents every route the app serves, with auth, bodies and error responses', async () => {
    const doc = (await server.request('GET', '/openapi.json', { token: null })).body;
    // GET /docs and /console (and their files) are pages for people, not API operations: not in the document.
    const served = server.running.app.routes
      .filter((r) => r.method !== 'ALL' && !/^\/(docs|console)(\/|$)/.test(r.path))
      .map((r) => ({ method: r.method.toLowerCase(), path: r.path.replace(/:([A-Za-z0-9_]+)/g, '{$1}') }));
    expect(served.length).toBeGreaterThanOrEqual(API_ROUTES.length + 4);
    for (const { method, path } of served) {
      const op = doc.paths?.[path]?.[method];
      expect(op, `${method.toUpperCase()} ${path} is not in /openapi.json`).toBeDefined();
      const isPublic =
        ['/health', '/ready', '/metrics', '/openapi.json'].includes(path) || path.startsWith('/public/');
      expect(op.security).toEqual(isPublic ? [] : [{ bearer: [] }]);
      expect(op.responses['500']).toBeDefined();
      if (!isPublic) {
        for (const s of ['401', '403', '404', '429']) {
          expect(op.responses[s].content['application/json'].schema.$ref).toBe('#/components/schemas/Error');
        }
      }
    }
    // Bodies come from the core's schemas: e.g. createCustomer is a strict object with E.164 phones.
    const createCustomer = doc.paths['/v1/tenants/{tid}/customers'].post;
    const schema = createCustomer.requestBody.content['application/json'].schema;
    const resolved = schema.$ref ? doc.components.schemas[schema.$ref.split('/').pop()] : schema;
    expect(resolved.properties.phone.pattern).toBeDefined();
    expect(resolved.additionalProperties).toBe(false);
    expect(createCustomer.responses['201'].content['application/json'].schema.$ref).toBe(
      '#/components/schemas/Customer',
    );
    // An ingest answers 201, and 200 when replayed: both are declared, with the same body.
    const ingest = doc.paths['/v1/tenants/{tid}/events'].post;
    // Its key may come in the header instead of the body: the body does not require it.
    expect(ingest.parameters).toContainEqual(
      expect.objectContaining({ name: 'idempotency-key', in: 'header' }),
    );
    expect(ingest.requestBody.content['application/json'].schema.required).toEqual(['type', 'customer']);
    for (const status of ['201', '200']) {
      expect(ingest.responses[status].content['application/json'].schema.$ref).toBe(
        '#/components/schemas/IngestResult',
      );
    }
    expect(doc.components.securitySchemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
    // Rules: the tag serves docs/rule-context.md; create and update take ?strict and answer warnings.
    expect(doc.tags).toContainEqual({ name: 'rules', description: ruleContextMarkdown() });
    expect(doc.tags.find((t: { name: string }) => t.name === 'rules').description).toContain('`now.dow`');
    for (const [path, method, status] of [
      ['/v1/tenants/{tid}/rules', 'post', '201'],
      ['/v1/tenants/{tid}/rules/{id}', 'patch', '200'],
    ] as const) {
      const op = doc.paths[path][method];
      expect(op.parameters).toContainEqual(expect.objectContaining({ name: 'strict', in: 'query' }));
      expect(op.responses[status].content['application/json'].schema.$ref).toBe(
        '#/components/schemas/RuleWithWarnings',
      );
      expect(op.responses['422']).toBeDefined();
    }
    expect(doc.components.schemas.RuleWithWarnings.required).toContain('warnings');
    // Every route of the table is documented (and so served: same list).
    for (const spec of API_ROUTES) {
      expect(doc.paths[spec.path.replace(/:([A-Za-z0-9_]+)/g, '{$1}')][spec.method].operationId).toBe(
        spec.operationId,
      );
    }
  });

  it('tags every operation, gives every request body an example the route accepts, declares a 4xx everywhere, and a license', async () => {
    const doc = (await server.request('GET', '/openapi.json', { token: null })).body;
    expect(doc.info.license).toMatchObject({ name: 'MIT' });
    const tagNames = new Set(doc.tags.map((t: { name: string }) => t.name));
    const specs = new Map(API_ROUTES.map((spec) => [spec.operationId, spec]));
    let operations = 0;
    let bodies = 0;
    for (const [path, methods] of Object.entries(doc.paths as Record<string, Record<string, Json>>)) {
      for (const [method, op] of Object.entries(methods)) {
        operations++;
        const name = `${method.toUpperCase()} ${path} (${op.operationId})`;
        expect(op.tags, name).toHaveLength(1);
        expect(tagNames.has(op.tags[0]), `${name}: tag ${op.tags[0]} is not described`).toBe(true);
        const fourXX = Object.keys(op.responses).filter((s) => /^4\d\d$/.test(s));
        expect(fourXX.length, `${name} declares no 4xx`).toBeGreaterThan(0);
        const body = op.requestBody?.content?.['application/json'];
        if (body === undefined) continue;
        bodies++;
        expect(body.example, `${name} has no request example`).toBeDefined();
        // The example is one the route itself accepts (its zod schema, not only the JSON Schema).
        const spec = specs.get(op.operationId);
        expect(spec?.body, name).toBeDefined();
        const parsed = spec?.body?.safeParse(body.example);
        expect(parsed?.error, `${name}: its example is refused`).toBeUndefined();
      }
    }
    expect(operations).toBeGreaterThanOrEqual(API_ROUTES.length + 4);
    expect(bodies).toBeGreaterThanOrEqual(25);
    // The operations routes refuse unknown parameters (their declared 400), as the API does.
    expect((await server.request('GET', '/health?verbose=1', { token: null })).status).toBe(400);
  });

  it('answers an ingest and its replay with statuses the document declares, in its schema', async () => {
    const doc = (await server.request('GET', '/openapi.json', { token: null })).body;
    const declared = doc.paths['/v1/tenants/{tid}/events'].post.responses;
    const { id: tid, key } = await server.tenant();
    const send = () =>
      server.request('POST', `/v1/tenants/${tid}/events`, {
        token: key,
        headers: { 'Idempotency-Key': 'openapi-1' },
        body: { type: 'visit', customer: { phone: '+233201234567' } },
      });
    const first = await send();
    const replay = await send();
    expect([first.status, replay.status]).toEqual([201, 200]);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    for (const answer of [first, replay]) {
      expect(declared[String(answer.status)], `${answer.status} is not declared`).toBeDefined();
      // The document's IngestResult is generated from this schema.
      expect(ingestResultSchema.strict().safeParse(answer.body).error).toBeUndefined();
    }
  });
});
