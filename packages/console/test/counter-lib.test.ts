import { describe, expect, it } from 'vitest';
import { outcomeText, pointsCatalog, redeemable, summarizeIngest, summaryText } from '../src/lib/counter.js';
import type { Decision, Issuance, Reward } from '../src/lib/types.js';
import { deliverySummary } from '../src/lib/webhooks.js';

const reward = (id: string, over: Partial<Reward> = {}): Reward => ({
  id,
  tenant_id: 't',
  name: id,
  type: 'item',
  value: 0,
  cost: 0,
  issue_mode: 'immediate',
  validity: null,
  reservation_ttl: '7d',
  points_price: null,
  active: true,
  created_at: '2026-12-01T00:00:00.000Z',
  updated_at: '2026-12-01T00:00:00.000Z',
  ...over,
});
const issuance = (id: string, rewardId: string, over: Partial<Issuance> = {}): Issuance => ({
  id,
  tenant_id: 't',
  customer_id: 'c',
  reward_id: rewardId,
  rule_id: 'r',
  event_id: 'e',
  state: 'issued',
  quantity: 1,
  value: 0,
  cost: 0,
  code: null,
  budget_id: null,
  budget_period: null,
  earned_at: '2026-12-05T10:00:00.000Z',
  created_at: '2026-12-05T10:00:00.000Z',
  issued_at: '2026-12-05T10:00:00.000Z',
  expires_at: null,
  reserve_deadline: null,
  redeemed_at: null,
  cancelled_at: null,
  cancel_reason: null,
  ...over,
});
const decision = (outcome: Decision['outcome'], over: Partial<Decision> = {}): Decision => ({
  rule_id: 'r',
  rule_name: 'Every 2nd visit',
  outcome,
  reason: 'why',
  ...over,
});

const rewards = new Map([
  ['coffee', reward('coffee', { name: 'Free coffee' })],
  ['pts', reward('pts', { name: 'Points', type: 'points', value: 10 })],
  ['pastry', reward('pastry', { name: 'Pastry', points_price: 30 })],
  ['cake', reward('cake', { name: 'Cake', points_price: 10 })],
  ['off', reward('off', { name: 'Retired', points_price: 5, active: false })],
]);

describe('summarizeIngest', () => {
  it('names the rewards earned and the points credited', () => {
    const s = summarizeIngest(
      {
        enrolled: false,
        replayed: false,
        decisions: [decision('issued'), decision('issued', { rule_name: 'Points' })],
        issuances: [
          issuance('i1', 'coffee', { code: 'AB12' }),
          issuance('i2', 'pts', { value: 20, quantity: 2 }),
        ],
      },
      'visit',
      rewards,
    );
    expect(s).toEqual({
      headline: 'Visit recorded',
      earned: ['Free coffee, code AB12'],
      points: 20,
      heldBack: [],
      warnings: [],
    });
    expect(summaryText(s)).toBe('Visit recorded; earned Free coffee, code AB12; +20 points');
  });

  it('says when the event enrolled the customer, was a replay, earned nothing or was held back', () => {
    const s = summarizeIngest(
      {
        enrolled: true,
        replayed: true,
        decisions: [
          decision('not_matched'),
          decision('budget_exhausted', { rule_name: 'Big spender', reason: 'the budget is spent' }),
        ],
        issuances: [],
        warnings: [{ code: 'unknown_event_type', message: 'no rule listens to "purchse"', path: 'type' }],
      },
      'purchase',
      rewards,
    );
    expect(s.headline).toBe(
      'Customer enrolled and purchase recorded (already recorded: the same result again)',
    );
    expect(s.heldBack).toEqual(['Big spender: the budget is spent']);
    expect(s.warnings).toEqual(['no rule listens to "purchse"']);
    expect(summaryText(s)).toContain('no reward this time');
  });

  it('marks a reservation and a quantity', () => {
    const s = summarizeIngest(
      {
        enrolled: false,
        replayed: false,
        decisions: [decision('reserved')],
        issuances: [issuance('i1', 'coffee', { state: 'reserved', quantity: 2 })],
      },
      'visit',
      rewards,
    );
    expect(s.earned).toEqual(['Free coffee × 2 (reserved: issued by a manager)']);
  });
});

describe('the counter lists', () => {
  it('offers issued rewards to redeem, not points credits nor other states', () => {
    const list = redeemable(
      [
        issuance('a', 'coffee'),
        issuance('b', 'pts'),
        issuance('c', 'coffee', { state: 'redeemed' }),
        issuance('d', 'coffee', { state: 'reserved' }),
      ],
      rewards,
    );
    expect(list.map((i) => i.id)).toEqual(['a']);
  });

  it('offers the active rewards with a points price, cheapest first, with whether they are affordable', () => {
    expect(pointsCatalog(rewards.values(), 20).map((i) => [i.reward.name, i.price, i.affordable])).toEqual([
      ['Cake', 10, true],
      ['Pastry', 30, false],
    ]);
  });

  it('sums up a stored outcome for the history', () => {
    const names = new Map([['i1', 'Free coffee']]);
    expect(outcomeText([decision('issued', { issuance_id: 'i1' }), decision('not_matched')], names)).toBe(
      'Free coffee issued',
    );
    expect(outcomeText([decision('cap_reached')], names)).toBe('Every 2nd visit: cap reached');
    expect(outcomeText([decision('not_matched')], names)).toBe('no reward');
    expect(outcomeText(undefined, names)).toBe('—');
  });
});

describe('deliverySummary', () => {
  it('says how a delivery went', () => {
    expect(deliverySummary({ status: 'delivered', attempts: 1, last_status: 200, last_error: null })).toBe(
      'delivered (HTTP 200) after 1 attempt',
    );
    expect(
      deliverySummary({ status: 'failed', attempts: 8, last_status: null, last_error: 'connection refused' }),
    ).toBe('failed: connection refused after 8 attempts');
    expect(deliverySummary({ status: 'pending', attempts: 0, last_status: null, last_error: null })).toBe(
      'pending: not sent yet',
    );
    expect(deliverySummary({ status: 'pending', attempts: 2, last_status: 503, last_error: null })).toBe(
      'pending: retrying (HTTP 503) after 2 attempts',
    );
  });
});
