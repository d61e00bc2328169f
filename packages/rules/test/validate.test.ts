import { describe, expect, it } from 'vitest';
import { type ContextSchema, createRulesEngine, RuleValidationError } from '../src/index.js';

const engine = createRulesEngine();

describe('validate: errors', () => {
  it('unknown_operator with a suggestion', () => {
    const { errors } = engine.validate({ and: [{ '==': [1, 1] }, { sme: [[], true] }] });
    expect(errors).toEqual([
      expect.objectContaining({ code: 'unknown_operator', path: '$.and[1].sme', suggestion: 'some' }),
    ]);
  });

  it.each([
    [{ '!': [1, 2] }, '$["!"]'],
    [{ '%': [1] }, '$["%"]'],
    [{ substr: ['a'] }, '$.substr'],
    [{ in: ['a'] }, '$.in'],
    [{ '<': [1, 2, 3, 4] }, '$["<"]'],
    [{ '>': [1, 2, 3] }, '$[">"]'],
    [{ if: [] }, '$.if'],
    [{ and: [] }, '$.and'],
    [{ var: ['a', 1, 2] }, '$.var'],
    [{ map: [[1]] }, '$.map'],
    [{ reduce: [[1], 1, 2, 3] }, '$.reduce'],
    [{ missing_some: [1] }, '$.missing_some'],
    [{ floor: [1, 2] }, '$.floor'],
    [{ time_between: ['10:00'] }, '$.time_between'],
  ])('arity: %j', (rule, path) => {
    const { errors } = engine.validate(rule);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ code: 'arity', path });
  });

  it('accepts the forms json-logic-js defines', () => {
    for (const rule of [
      { '!': { var: 'event.x' } },
      { '<': [1, { var: 'event.x' }, 3] },
      { if: [{ var: 'event.a' }, 1, { var: 'event.b' }, 2, 3] },
      { var: ['event.x', 0] },
      { var: '' },
      { '+': [] },
      { reduce: [{ var: 'event.items' }, { '+': [{ var: 'accumulator' }, { var: 'current.qty' }] }, 0] },
    ]) {
      expect(engine.validate(rule)).toEqual({ errors: [], warnings: [] });
    }
  });

  it('forbidden_path, too_deep, too_many_nodes, literal_too_large, path_too_long, invalid_value', () => {
    expect(engine.validate({ and: [true, { var: 'event.constructor' }] }).errors[0]).toMatchObject({
      code: 'forbidden_path',
      path: '$.and[1].var',
    });
    let deep: unknown = 1;
    for (let i = 0; i < 40; i++) deep = { '!': deep };
    expect(engine.validate(deep).errors[0]).toMatchObject({ code: 'too_deep' });
    expect(engine.validate({ cat: Array(2100).fill('x') }).errors[0]?.code).toMatch(
      /too_many_nodes|literal_too_large/,
    );
    const small = createRulesEngine({
      limits: { maxNodes: 5, maxLiteralArrayLength: 3, maxVarPathLength: 8 },
    });
    expect(small.validate({ and: [1, 2, 3, 4, 5] }).errors[0]?.code).toBe('too_many_nodes');
    expect(small.validate([1, 2, 3, 4]).errors[0]).toMatchObject({ code: 'literal_too_large', path: '$' });
    expect(small.validate({ var: 'event.amount' }).errors[0]).toMatchObject({
      code: 'path_too_long',
      path: '$.var',
    });
    expect(engine.validate({ '==': [Symbol('x'), 1] }).errors[0]).toMatchObject({
      code: 'invalid_value',
      path: '$["=="][0]',
    });
  });

  it('compile refuses what validate rejects', () => {
    try {
      engine.compile({ '%': [1] });
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(RuleValidationError);
      expect((e as RuleValidationError).code).toBe('RULE_INVALID');
      expect((e as RuleValidationError).problems[0]?.code).toBe('arity');
    }
  });
});

describe('validate: warnings', () => {
  it('unknown_root with a suggestion', () => {
    expect(engine.validate({ var: 'evnt.amount' }).warnings).toEqual([
      expect.objectContaining({ code: 'unknown_root', path: '$.var', suggestion: 'event.amount' }),
    ]);
    expect(engine.validate({ '>': [{ var: 'amount' }, 1] }).warnings[0]).toMatchObject({
      code: 'unknown_root',
      path: '$[">"][0].var',
      suggestion: 'event.amount',
    });
    expect(engine.validate({ missing: ['custmer.tags'] }).warnings[0]).toMatchObject({
      code: 'unknown_root',
      suggestion: 'customer.tags',
    });
  });

  it('does not warn inside iteration bodies (vars refer to the element)', () => {
    const rule = {
      and: [
        { some: [{ var: 'event.items' }, { '>': [{ var: 'qty' }, 1] }] },
        { reduce: [{ var: 'event.items' }, { '+': [{ var: 'accumulator' }, { var: 'current.qty' }] }, 0] },
        { all: [{ var: 'customer.tags' }, { '!=': [{ var: '' }, 'banned'] }] },
      ],
    };
    expect(engine.validate(rule).warnings).toEqual([]);
    // ... but the array argument and reduce's initial value are in the outer scope.
    expect(
      engine.validate({ reduce: [{ var: 'items' }, 1, { var: 'start' }] }).warnings.map((w) => w.path),
    ).toEqual(['$.reduce[0].var', '$.reduce[2].var']);
  });

  it('unknown_path against a context schema, with an edit-distance suggestion', () => {
    const contextSchema: ContextSchema = {
      event: { amount: true, type: true, data: { '*': true }, items: { '*': { sku: true, qty: true } } },
      customer: { tags: true, stats: true },
      tenant: true,
      now: true,
    };
    const v = engine.validate(
      {
        and: [
          { '>': [{ var: 'event.ammount' }, 10] },
          { '==': [{ var: 'event.data.anything.below' }, 1] },
          { '==': [{ var: 'event.items.0.sku' }, 'x'] },
          { '==': [{ var: 'event.items.0.skew' }, 'x'] },
          { in: ['vip', { var: 'customer.tags' }] },
          { '==': [{ var: 'customer.stats.visit.count' }, 1] },
          { '==': [{ var: 'tenant.anything' }, 1] },
          { '==': [{ var: 'custome.tags' }, 1] },
        ],
      },
      { contextSchema },
    );
    expect(v.errors).toEqual([]);
    expect(v.warnings).toEqual([
      expect.objectContaining({
        code: 'unknown_path',
        path: '$.and[0][">"][0].var',
        suggestion: 'event.amount',
      }),
      expect.objectContaining({
        code: 'unknown_path',
        path: '$.and[3]["=="][0].var',
        suggestion: 'event.items.0.sku',
      }),
      expect.objectContaining({
        code: 'unknown_root',
        path: '$.and[7]["=="][0].var',
        suggestion: 'customer.tags',
      }),
    ]);
  });

  it('an object with several keys is a literal (warning)', () => {
    expect(engine.validate({ '==': [1, 1], and: [] }).warnings[0]).toMatchObject({
      code: 'invalid_value',
      path: '$',
    });
  });
});
