import { describe, expect, it } from 'vitest';
import { errorOf, STORE_KINDS, useServer } from './harness.js';

const MISSPELT = { and: [{ '>=': [{ var: 'event.ammount' }, 1000] }, { '<': [{ var: 'now.hour' }, 10] }] };
const MISSPELT_PATH = 'condition.and[0][">="][0].var';

describe.each(STORE_KINDS)(
  'rule create and update answer warnings; ?strict=true refuses them (%s)',
  (kind) => {
    const server = useServer(kind);

    async function setup() {
      const { id: tid, key } = await server.tenant();
      const reward = await server.request('POST', `/v1/tenants/${tid}/rewards`, {
        token: key,
        body: { name: 'Free coffee', type: 'item' },
      });
      expect(reward.status).toBe(201);
      const rule = (condition: unknown) => ({
        name: 'Big morning spend',
        event_types: ['purchase'],
        reward_id: reward.body.id,
        condition,
      });
      return { tid, key, rule };
    }

    it('create: a misspelt variable is saved (201) with a warning naming its path and the suggestion', async () => {
      const { tid, key, rule } = await setup();
      const created = await server.request('POST', `/v1/tenants/${tid}/rules`, {
        token: key,
        body: rule(MISSPELT),
      });
      expect(created.status).toBe(201);
      expect(created.body.name).toBe('Big morning spend');
      expect(created.body.warnings).toEqual([
        expect.objectContaining({ path: MISSPELT_PATH, code: 'unknown_path', suggestion: 'event.amount' }),
      ]);
      // The warnings are part of the answer, not of the rule: a read gives the rule as stored.
      const read = await server.request('GET', `/v1/tenants/${tid}/rules/${created.body.id}`, { token: key });
      expect(read.body).not.toHaveProperty('warnings');
      expect(read.body.condition).toEqual(MISSPELT);

      const clean = await server.request('POST', `/v1/tenants/${tid}/rules?strict=false`, {
        token: key,
        body: rule({ '>=': [{ var: 'event.amount' }, 1000] }),
      });
      expect(clean.status).toBe(201);
      expect(clean.body.warnings).toEqual([]);
    });

    it('create with ?strict=true: 422 VALIDATION_ERROR naming each path, and nothing is saved', async () => {
      const { tid, key, rule } = await setup();
      const both = { and: [MISSPELT, { '==': [{ var: 'custmer.tags' }, 'vip'] }] };
      const refused = await server.request('POST', `/v1/tenants/${tid}/rules?strict=true`, {
        token: key,
        body: rule(both),
      });
      expect(refused.status).toBe(422);
      const error = errorOf(refused);
      expect(error.code).toBe('VALIDATION_ERROR');
      expect(error.details.issues).toEqual([
        expect.objectContaining({
          path: 'condition.and[0].and[0][">="][0].var',
          code: 'unknown_path',
          message: expect.stringContaining('did you mean event.amount?'),
        }),
        expect.objectContaining({
          path: 'condition.and[1]["=="][0].var',
          code: 'unknown_root',
          message: expect.stringContaining('did you mean customer.tags?'),
        }),
      ]);
      const list = await server.request('GET', `/v1/tenants/${tid}/rules`, { token: key });
      expect(list.body.items).toHaveLength(0);

      // Strict or not, a clean rule is created; an unknown value of the parameter is refused.
      const clean = await server.request('POST', `/v1/tenants/${tid}/rules?strict=true`, {
        token: key,
        body: rule({ '>=': [{ var: 'event.amount' }, 1000] }),
      });
      expect(clean.status).toBe(201);
      expect(clean.body.warnings).toEqual([]);
      const bad = await server.request('POST', `/v1/tenants/${tid}/rules?strict=yes`, {
        token: key,
        body: rule(true),
      });
      expect(bad.status).toBe(400);
      expect(errorOf(bad).details.issues[0].path).toContain('strict');
    });

    it('update: warnings on a PATCH that misspells, 422 with ?strict=true and the rule unchanged', async () => {
      const { tid, key, rule } = await setup();
      const created = await server.request('POST', `/v1/tenants/${tid}/rules`, {
        token: key,
        body: rule({ '>=': [{ var: 'event.amount' }, 1000] }),
      });
      expect(created.body.warnings).toEqual([]);
      const path = `/v1/tenants/${tid}/rules/${created.body.id}`;

      const refused = await server.request('PATCH', `${path}?strict=true`, {
        token: key,
        body: { condition: MISSPELT },
      });
      expect(refused.status).toBe(422);
      expect(errorOf(refused).code).toBe('VALIDATION_ERROR');
      expect(errorOf(refused).details.issues).toEqual([
        expect.objectContaining({ path: MISSPELT_PATH, message: expect.stringContaining('event.amount') }),
      ]);
      const unchanged = await server.request('GET', path, { token: key });
      expect(unchanged.body.version).toBe(1);

      const patched = await server.request('PATCH', path, { token: key, body: { condition: MISSPELT } });
      expect(patched.status).toBe(200);
      expect(patched.body.version).toBe(2);
      expect(patched.body.warnings).toEqual([
        expect.objectContaining({ path: MISSPELT_PATH, suggestion: 'event.amount' }),
      ]);
      // A change that does not touch the logic still reports the warnings the rule has.
      const renamed = await server.request('PATCH', path, { token: key, body: { name: 'Renamed' } });
      expect(renamed.status).toBe(200);
      expect(renamed.body.warnings.map((w: { path: string }) => w.path)).toEqual([MISSPELT_PATH]);
    });
  },
);
