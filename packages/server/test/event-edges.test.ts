import { describe, expect, it } from 'vitest';
import { errorOf, STORE_KINDS, useServer } from './harness.js';

describe.each(STORE_KINDS)('events: keys, dry runs and event types (%s)', (kind) => {
  const server = useServer(kind);

  async function shop() {
    const { id: tid, key } = await server.tenant();
    const reward = await server.request('POST', `/v1/tenants/${tid}/rewards`, {
      token: key,
      body: { name: 'Free coffee', type: 'item' },
    });
    const rule = await server.request('POST', `/v1/tenants/${tid}/rules`, {
      token: key,
      body: { name: 'Visit', event_types: ['visit'], reward_id: reward.body.id },
    });
    expect(rule.status).toBe(201);
    const ingest = (type: string, idempotencyKey: string) =>
      server.request('POST', `/v1/tenants/${tid}/events`, {
        token: key,
        headers: { 'Idempotency-Key': idempotencyKey },
        body: { type, customer: { phone: '+233201234567' } },
      });
    return { tid, key, ingest };
  }

  it('an event without an idempotency key is refused, saying to send the Idempotency-Key header', async () => {
    const { tid, key } = await shop();
    const r = await server.request('POST', `/v1/tenants/${tid}/events`, {
      token: key,
      body: { type: 'visit', customer: { phone: '+233201234567' } },
    });
    expect(r.status).toBe(400);
    const error = errorOf(r);
    expect(error.code).toBe('VALIDATION_ERROR');
    expect(error.message).toContain('send an `Idempotency-Key` header (or `idempotency_key` in the body)');
    expect(error.details.issues[0]).toMatchObject({
      path: 'idempotency_key',
      code: 'missing_idempotency_key',
    });
    // Either one alone is enough.
    const inBody = await server.request('POST', `/v1/tenants/${tid}/events`, {
      token: key,
      body: { idempotency_key: 'b-1', type: 'visit', customer: { phone: '+233201234567' } },
    });
    expect(inBody.status).toBe(201);
  });

  it('a dry run needs no idempotency key and writes nothing', async () => {
    const { tid, key } = await shop();
    for (let n = 0; n < 2; n++) {
      const dry = await server.request('POST', `/v1/tenants/${tid}/events/dry-run`, {
        token: key,
        body: { type: 'visit', customer: { phone: '+233201234567' } },
      });
      expect(dry.status).toBe(200);
      expect(dry.body).toMatchObject({ dry_run: true, replayed: false });
      expect(dry.body.decisions[0].outcome).toBe('issued');
    }
    const customers = await server.request('GET', `/v1/tenants/${tid}/customers`, { token: key });
    expect(customers.body.items).toHaveLength(0);
  });

  it('an event of a type no rule listens to is accepted with a warning and a did-you-mean', async () => {
    const { tid, key, ingest } = await shop();
    const vist = await ingest('vist', 'v-1');
    expect(vist.status).toBe(201);
    expect(vist.body.warnings).toEqual([
      {
        code: 'unknown_event_type',
        message: 'No rule listens to "vist"; did you mean "visit"?',
        path: 'type',
      },
    ]);
    const visit = await ingest('visit', 'v-2');
    expect(visit.status).toBe(201);
    expect(visit.body.warnings).toBeUndefined();
    const dry = await server.request('POST', `/v1/tenants/${tid}/events/dry-run`, {
      token: key,
      body: { type: 'vist', customer: { phone: '+233201234567' } },
    });
    expect(dry.body.warnings[0].code).toBe('unknown_event_type');
  });

  it('a tenant that declares its event_types refuses the others with 422 naming `type`', async () => {
    const { tid, key, ingest } = await shop();
    const set = await server.request('PATCH', `/v1/tenants/${tid}`, {
      token: key,
      body: { settings: { event_types: ['visit', 'purchase'] } },
    });
    expect(set.status).toBe(200);
    expect(set.body.settings.event_types).toEqual(['visit', 'purchase']);
    const refused = await ingest('vist', 'd-1');
    expect(refused.status).toBe(422);
    const error = errorOf(refused);
    expect(error.code).toBe('VALIDATION_ERROR');
    expect(error.message).toContain('("visit", "purchase"); did you mean "visit"?');
    expect(error.details.issues[0]).toMatchObject({ path: 'type', code: 'undeclared_event_type' });
    expect((await ingest('purchase', 'd-2')).status).toBe(201);
    const events = await server.request('GET', `/v1/tenants/${tid}/events`, { token: key });
    expect(events.body.items.map((e: { type: string }) => e.type)).toEqual(['purchase']);
    const bad = await server.request('PATCH', `/v1/tenants/${tid}`, {
      token: key,
      body: { settings: { event_types: ['Visit'] } },
    });
    expect(bad.status).toBe(400);
    expect(errorOf(bad).details.issues[0].path).toBe('settings.event_types.0');
  });
});
