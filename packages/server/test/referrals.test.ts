/**
 * Referrals over HTTP (docs/referrals.md), on SQLite and PostgreSQL: A refers B, B's first
 * purchase rewards both, B's second rewards neither; the guards answer with the field at fault.
 */
import { describe, expect, it } from 'vitest';
import { type Answer, errorOf, STORE_KINDS, useServer } from './harness.js';

function refused(answer: Answer, status: number, code: string, field: string): void {
  expect(answer.status, answer.text).toBe(status);
  const error = errorOf(answer);
  expect(error.code).toBe(code);
  expect(error.details?.issues?.[0]?.path).toBe(field);
}

describe.each(STORE_KINDS)('referrals through the API (%s)', (kind) => {
  const server = useServer(kind);

  async function shop(settings: Record<string, unknown> = {}) {
    const { id: tid, key } = await server.tenant('Referral shop');
    if (Object.keys(settings).length > 0) {
      const patched = await server.request('PATCH', `/v1/tenants/${tid}`, { token: key, body: { settings } });
      expect(patched.status, patched.text).toBe(200);
    }
    const pos = await server.key(tid, 'pos');
    const points = await server.request('POST', `/v1/tenants/${tid}/rewards`, {
      token: key,
      body: { name: 'Points', type: 'points', value: 1 },
    });
    expect(points.status).toBe(201);
    const referee = await server.request('POST', `/v1/tenants/${tid}/rules`, {
      token: key,
      body: {
        name: 'Welcome, referred friend',
        event_types: ['purchase'],
        condition: { and: [{ '==': [{ var: 'referral.role' }, 'referee'] }, { var: 'referral.qualifying' }] },
        reward_id: points.body.id,
        quantity: 200,
      },
    });
    expect(referee.status, referee.text).toBe(201);
    expect(referee.body.warnings ?? []).toEqual([]);
    const referrer = await server.request('POST', `/v1/tenants/${tid}/rules`, {
      token: key,
      body: {
        name: 'Thanks for the referral',
        event_types: ['referral'],
        condition: { '==': [{ var: 'referral.role' }, 'referrer'] },
        reward_id: points.body.id,
        quantity: 500,
      },
    });
    expect(referrer.status, referrer.text).toBe(201);
    return { tid, key, pos };
  }

  it('A refers B: B’s first purchase rewards both, B’s second neither; webhooks-to-be in the outbox', async () => {
    const { tid, key, pos } = await shop({ event_types: ['purchase', 'visit'] });
    const a = await server.request('POST', `/v1/tenants/${tid}/customers`, {
      token: key,
      body: { phone: '+233201110001', name: 'Ama' },
    });
    expect(a.status).toBe(201);
    const summary = await server.request('GET', `/v1/tenants/${tid}/customers/${a.body.id}/referral`, {
      token: pos,
    });
    expect(summary.status, summary.text).toBe(200);
    const code: string = summary.body.code;
    expect(code).toMatch(/^[23456789ABCDEFGHJKMNPQRSTVWXYZ]{8}$/);
    expect(summary.body).toEqual({
      customer_id: a.body.id,
      code,
      referred_by: null,
      referred: { pending: 0, qualified: 0, rejected: 0, remaining: 50 },
    });

    // B is enrolled by the till with A's code, then buys.
    const b = await server.request('POST', `/v1/tenants/${tid}/customers`, {
      token: key,
      body: { phone: '+233201110002', referral_code: code.toLowerCase() },
    });
    expect(b.status, b.text).toBe(201);
    const attributed = await server.request('GET', `/v1/tenants/${tid}/customers/${b.body.id}/referral`, {
      token: pos,
    });
    expect(attributed.body.referred_by).toMatchObject({ referrer_id: a.body.id, code, status: 'pending' });

    const first = await server.request('POST', `/v1/tenants/${tid}/events`, {
      token: pos,
      body: {
        idempotency_key: 'b-buy-1',
        type: 'purchase',
        customer: { phone: '+233201110002' },
        data: { amount: 2500 },
      },
    });
    expect(first.status, first.text).toBe(201);
    expect(first.body.issuances.map((i: { value: number }) => i.value)).toEqual([200]);

    const second = await server.request('POST', `/v1/tenants/${tid}/events`, {
      token: pos,
      body: {
        idempotency_key: 'b-buy-2',
        type: 'purchase',
        customer: { phone: '+233201110002' },
        data: { amount: 2500 },
      },
    });
    expect(second.status).toBe(201);
    expect(second.body.issuances).toEqual([]);

    // The issuances, as the API lists them: B one of 200, A one of 500, and nothing else.
    const ofB = await server.request('GET', `/v1/tenants/${tid}/issuances?customer_id=${b.body.id}`, {
      token: pos,
    });
    expect(ofB.body.items.map((i: { value: number }) => i.value)).toEqual([200]);
    const ofA = await server.request('GET', `/v1/tenants/${tid}/issuances?customer_id=${a.body.id}`, {
      token: pos,
    });
    expect(ofA.body.items.map((i: { value: number }) => i.value)).toEqual([500]);
    const balanceA = await server.request('GET', `/v1/tenants/${tid}/customers/${a.body.id}/points`, {
      token: pos,
    });
    expect(balanceA.body.balance).toBe(500);
    // The referrer's event, with the key derived from the referee (the tenant's event_types do not list it).
    const events = await server.request('GET', `/v1/tenants/${tid}/events?customer_id=${a.body.id}`, {
      token: pos,
    });
    expect(
      events.body.items.map((e: { type: string; idempotency_key: string }) => [e.type, e.idempotency_key]),
    ).toEqual([['referral', `laas:referral:${b.body.id}`]]);

    const after = await server.request('GET', `/v1/tenants/${tid}/customers/${a.body.id}/referral`, {
      token: pos,
    });
    expect(after.body.referred).toEqual({ pending: 0, qualified: 1, rejected: 0, remaining: 49 });
    const ofBAfter = await server.request('GET', `/v1/tenants/${tid}/customers/${b.body.id}/referral`, {
      token: pos,
    });
    expect(ofBAfter.body.referred_by.status).toBe('qualified');

    // A replay of B's first purchase changes nothing.
    const replay = await server.request('POST', `/v1/tenants/${tid}/events`, {
      token: pos,
      body: {
        idempotency_key: 'b-buy-1',
        type: 'purchase',
        customer: { phone: '+233201110002' },
        data: { amount: 2500 },
      },
    });
    expect(replay.status).toBe(200);
    expect(
      (await server.request('GET', `/v1/tenants/${tid}/customers/${a.body.id}/points`, { token: pos })).body
        .balance,
    ).toBe(500);
  });

  it('an event that enrolls with customer.referral_code attributes; the guards name the field', async () => {
    const { tid, key, pos } = await shop({ referral_max_per_referrer: 1 });
    const a = await server.request('POST', `/v1/tenants/${tid}/customers`, {
      token: key,
      body: { external_ref: 'ama' },
    });
    const code = (
      await server.request('GET', `/v1/tenants/${tid}/customers/${a.body.id}/referral`, { token: pos })
    ).body.code as string;

    // Unknown code: 400 at the field, nothing written (no customer enrolled).
    refused(
      await server.request('POST', `/v1/tenants/${tid}/events`, {
        token: pos,
        body: {
          idempotency_key: 'u-1',
          type: 'purchase',
          customer: { external_ref: 'kofi', referral_code: 'ZZZZ9999' },
        },
      }),
      400,
      'VALIDATION_ERROR',
      'customer.referral_code',
    );
    const nobody = await server.request('GET', `/v1/tenants/${tid}/customers?external_ref=kofi`, {
      token: pos,
    });
    expect(nobody.body.items).toEqual([]);

    // Self-referral: A's own code on A's event.
    refused(
      await server.request('POST', `/v1/tenants/${tid}/events`, {
        token: pos,
        body: {
          idempotency_key: 's-1',
          type: 'visit',
          customer: { external_ref: 'ama', referral_code: code },
        },
      }),
      400,
      'VALIDATION_ERROR',
      'customer.referral_code',
    );

    // Kofi enrolls by his first purchase with A's code: attributed and rewarded at once.
    const kofi = await server.request('POST', `/v1/tenants/${tid}/events`, {
      token: pos,
      body: {
        idempotency_key: 'k-1',
        type: 'purchase',
        customer: { external_ref: 'kofi', referral_code: code },
        data: { amount: 900 },
      },
    });
    expect(kofi.status, kofi.text).toBe(201);
    expect(kofi.body.enrolled).toBe(true);
    expect(kofi.body.issuances.map((i: { value: number }) => i.value)).toEqual([200]);
    expect(
      (await server.request('GET', `/v1/tenants/${tid}/customers/${a.body.id}/points`, { token: pos })).body
        .balance,
    ).toBe(500);

    // Kofi again with the same code (a till that sends it on every event): accepted, a no-op.
    const again = await server.request('POST', `/v1/tenants/${tid}/events`, {
      token: pos,
      body: {
        idempotency_key: 'k-2',
        type: 'visit',
        customer: { external_ref: 'kofi', referral_code: code },
      },
    });
    expect(again.status, again.text).toBe(201);
    const kofiCode = (
      await server.request('GET', `/v1/tenants/${tid}/customers/${kofi.body.customer_id}/referral`, {
        token: pos,
      })
    ).body;
    expect(kofiCode.referred_by).toMatchObject({ referrer_id: a.body.id, status: 'qualified' });

    // With another customer's code: already attributed (one attribution per customer).
    const kwame = await server.request('POST', `/v1/tenants/${tid}/customers`, {
      token: key,
      body: { external_ref: 'kwame' },
    });
    const kwameCode = (
      await server.request('GET', `/v1/tenants/${tid}/customers/${kwame.body.id}/referral`, { token: pos })
    ).body.code as string;
    refused(
      await server.request('POST', `/v1/tenants/${tid}/events`, {
        token: pos,
        body: {
          idempotency_key: 'k-3',
          type: 'visit',
          customer: { external_ref: 'kofi', referral_code: kwameCode },
        },
      }),
      409,
      'STATE_CONFLICT',
      'customer.referral_code',
    );
    // And a customer enrolled without a code cannot be attributed later.
    refused(
      await server.request('POST', `/v1/tenants/${tid}/events`, {
        token: pos,
        body: {
          idempotency_key: 'kw-1',
          type: 'visit',
          customer: { external_ref: 'kwame', referral_code: code },
        },
      }),
      409,
      'STATE_CONFLICT',
      'customer.referral_code',
    );

    // Over the cap of 1: refused at customer create, and the customer is not created.
    refused(
      await server.request('POST', `/v1/tenants/${tid}/customers`, {
        token: key,
        body: { external_ref: 'esi', referral_code: code },
      }),
      409,
      'STATE_CONFLICT',
      'referral_code',
    );
    const esi = await server.request('GET', `/v1/tenants/${tid}/customers?external_ref=esi`, { token: pos });
    expect(esi.body.items).toEqual([]);

    // A blocked referrer refers nobody.
    const yaw = await server.request('POST', `/v1/tenants/${tid}/customers`, {
      token: key,
      body: { external_ref: 'yaw' },
    });
    const yawCode = (
      await server.request('GET', `/v1/tenants/${tid}/customers/${yaw.body.id}/referral`, { token: pos })
    ).body.code as string;
    const blocked = await server.request('POST', `/v1/tenants/${tid}/customers/${yaw.body.id}/status`, {
      token: key,
      body: { status: 'blocked' },
    });
    expect(blocked.status, blocked.text).toBe(200);
    refused(
      await server.request('POST', `/v1/tenants/${tid}/customers`, {
        token: key,
        body: { external_ref: 'efua', referral_code: yawCode },
      }),
      409,
      'STATE_CONFLICT',
      'referral_code',
    );

    // A malformed code is a 400 at the field before anything runs.
    refused(
      await server.request('POST', `/v1/tenants/${tid}/customers`, {
        token: key,
        body: { external_ref: 'abena', referral_code: '!!' },
      }),
      400,
      'VALIDATION_ERROR',
      'referral_code',
    );
  });

  it('a customer of another tenant is not found; the outbox carries referral.attributed and referral.qualified', async () => {
    const one = await shop();
    const other = await server.tenant('Other shop');
    const a = await server.request('POST', `/v1/tenants/${one.tid}/customers`, {
      token: one.key,
      body: { phone: '+233201119001' },
    });
    const code = (
      await server.request('GET', `/v1/tenants/${one.tid}/customers/${a.body.id}/referral`, {
        token: one.pos,
      })
    ).body.code as string;
    const elsewhere = await server.request('GET', `/v1/tenants/${other.id}/customers/${a.body.id}/referral`, {
      token: other.key,
    });
    expect(elsewhere.status).toBe(404);
    // The code means nothing in the other tenant.
    refused(
      await server.request('POST', `/v1/tenants/${other.id}/customers`, {
        token: other.key,
        body: { phone: '+233201119002', referral_code: code },
      }),
      400,
      'VALIDATION_ERROR',
      'referral_code',
    );
    const hook = await server.request('POST', `/v1/tenants/${one.tid}/webhooks`, {
      token: one.key,
      body: { url: 'http://127.0.0.1:9/hook', events: ['referral.attributed', 'referral.qualified'] },
    });
    expect(hook.status, hook.text).toBe(201);
    await server.request('POST', `/v1/tenants/${one.tid}/events`, {
      token: one.pos,
      body: {
        idempotency_key: 'o-1',
        type: 'purchase',
        customer: { phone: '+233201119003', referral_code: code },
        data: { amount: 100 },
      },
    });
    const rows = await server.running.store.transaction(one.tid, (tx) => tx.outbox.list({ limit: 50 }));
    const types = rows.items.map((o) => o.type);
    expect(types).toContain('referral.attributed');
    expect(types).toContain('referral.qualified');
  });
});
