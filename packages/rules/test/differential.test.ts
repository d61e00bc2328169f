/**
 * Differential property tests: for generated rules and data, `compile(rule).evaluate(data)` must
 * equal `jsonLogic.apply(rule, data)` of json-logic-js 2.0.5 (deep equality where NaN equals NaN and
 * 0 and -0 differ), and when json-logic-js throws ours must throw too.
 *
 * Deliberately NOT generated, because we differ on purpose:
 * - `log` and `method` (not operators here), unknown operators and wrong arities (validation errors);
 * - `var` paths through `__proto__`, `constructor`, `prototype` or inherited members (`toString`,
 *   `indexOf`, ...): ours reads own properties only; so data keys and path segments come from a small
 *   alphabet without such names, and data objects never have an `indexOf` key (json-logic-js's `in`
 *   calls it);
 * - `missing` / `missing_some` keys that are objects with one key: json-logic-js re-interprets values
 *   as logic there, ours never does, so their keys are literal strings / numbers / [key, default];
 * - anything reaching a limit (the generated rules and data are far below all of them).
 */
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { codegenStats } from '../src/codegen.js';
import { createRulesEngine, RuleEvaluationError } from '../src/index.js';
import { check, MODES, sameValue } from './helpers.js';

const KEYS = ['a', 'b', 'c', '0', '1', 'x'];
const SEGMENTS = [...KEYS, 'length', '2', ''];

const str = fc.constantFrom(
  '',
  '0',
  '1',
  '-1',
  '2',
  '1.5',
  ' 3 ',
  'a',
  'b',
  'abc',
  'a,b',
  'x',
  'true',
  'null',
  '1e3',
  'Infinity',
);
const num = fc.oneof(
  fc.integer({ min: -5, max: 10 }),
  fc.constantFrom(0, -0, 0.5, -2.5, 1.5, 100, 1e21, Number.MAX_SAFE_INTEGER),
  fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e6, max: 1e6 }),
);
const scalar = fc.oneof(num, str, fc.boolean(), fc.constant(null));

const { data } = fc.letrec<{ data: unknown }>((tie) => ({
  data: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    scalar,
    fc.array(tie('data'), { maxLength: 4 }),
    fc.dictionary(fc.constantFrom(...KEYS), tie('data'), { maxKeys: 4, noNullPrototype: true }),
  ),
}));

const path = fc
  .array(fc.constantFrom(...SEGMENTS), { minLength: 1, maxLength: 3 })
  .map((segs) => segs.join('.'))
  .chain((p) => fc.constantFrom(p, p === '' ? 'a' : p));
const literalKey = fc.oneof(path, fc.integer({ min: 0, max: 2 }));
const missingKey = fc.oneof(literalKey, fc.tuple(literalKey, scalar));

const UNARY = ['!', '!!', '-'] as const;
const BINARY = ['==', '===', '!=', '!==', '>', '>=', '<', '<=', '/', '%', 'in'] as const;
const VARIADIC = ['and', 'or', 'max', 'min', '+', '*', 'cat', 'merge', 'if', '?:'] as const;
const ITER = ['map', 'filter', 'all', 'none', 'some'] as const;

function ruleArb(withData: boolean) {
  return fc.letrec<{ rule: unknown; leaf: unknown }>((tie) => {
    const leaves: fc.Arbitrary<unknown>[] = [
      scalar,
      path.map((p) => ({ var: p })),
      fc.tuple(path, tie('rule')).map(([p, d]) => ({ var: [p, d] })),
      fc.constantFrom({ var: '' }, { var: [] }, { var: [''] }, { var: 0 }, { var: 1 }),
    ];
    // A data value used as a literal in a rule must not contain objects (a one-key object is an operation).
    if (withData) leaves.push(data.filter(noObjects));
    return {
      leaf: fc.oneof(...leaves),
      rule: fc.oneof(
        { depthSize: 'small', maxDepth: 5, withCrossShrink: true },
        tie('leaf'),
        tie('leaf'),
        fc
          .record({ op: fc.constantFrom(...UNARY), x: tie('rule'), wrap: fc.boolean() })
          .map(({ op, x, wrap }) => (wrap || Array.isArray(x) ? { [op]: [x] } : { [op]: x })),
        fc
          .record({ op: fc.constantFrom(...BINARY), a: tie('rule'), b: tie('rule') })
          .map(({ op, a, b }) => ({ [op]: [a, b] })),
        fc
          .record({ op: fc.constantFrom('<', '<='), a: tie('rule'), b: tie('rule'), c: tie('rule') })
          .map(({ op, a, b, c }) => ({ [op]: [a, b, c] })),
        fc
          .record({
            op: fc.constantFrom(...VARIADIC),
            xs: fc.array(tie('rule'), { minLength: 1, maxLength: 4 }),
          })
          .map(({ op, xs }) => ({ [op]: xs })),
        fc.array(tie('rule'), { maxLength: 3 }).map((xs) => ({ '+': xs })),
        fc.array(tie('rule'), { maxLength: 3 }).map((xs) => ({ cat: xs })),
        fc.array(tie('rule'), { minLength: 1, maxLength: 2 }).map((xs) => ({ '-': xs })),
        fc.array(tie('rule'), { minLength: 2, maxLength: 3 }).map((xs) => ({ substr: xs })),
        fc.tuple(tie('rule')).map(([x]) => ({ '+': Array.isArray(x) ? [x] : x })),
        fc
          .record({ op: fc.constantFrom(...ITER), a: tie('rule'), b: tie('rule') })
          .map(({ op, a, b }) => ({ [op]: [a, b] })),
        fc
          .tuple(tie('rule'), tie('rule'), fc.option(tie('rule'), { nil: undefined }))
          .map(([a, b, c]) => ({ reduce: c === undefined ? [a, b] : [a, b, c] })),
        fc.array(tie('rule'), { maxLength: 3 }),
        fc.tuple(tie('rule')).map(([p]) => ({ var: Array.isArray(p) ? [p] : p })),
        fc.array(missingKey, { maxLength: 3 }).map((ks) => ({ missing: ks })),
        fc.array(missingKey, { maxLength: 3 }).map((ks) => ({ missing: [ks] })),
        fc.tuple(fc.integer({ min: 0, max: 3 }), fc.array(literalKey, { maxLength: 3 })).map(([n, ks]) => ({
          missing_some: [n, ks],
        })),
      ),
    };
  }).rule;
}

const RUNS = Number(process.env.RULES_FC_RUNS ?? 3000);

function noObjects(x: unknown): boolean {
  if (Array.isArray(x)) return x.every(noObjects);
  return typeof x !== 'object' || x === null;
}

describe.each(MODES)('differential vs json-logic-js 2.0.5 (codegen: $codegen)', ({ codegen }) => {
  const engine = createRulesEngine({ codegen });
  it('uses the requested path', () => {
    expect(engine.codegen).toBe(codegen);
  });

  it('general rules over generated data', () => {
    fc.assert(
      fc.property(ruleArb(true), data, (rule, d) => check(engine, rule, d)),
      { numRuns: RUNS },
    );
  });

  it('rules over object-shaped data (var paths usually hit)', () => {
    const objData = fc.dictionary(fc.constantFrom(...KEYS), data, {
      minKeys: 2,
      maxKeys: 6,
      noNullPrototype: true,
    });
    fc.assert(
      fc.property(ruleArb(false), objData, (rule, d) => check(engine, rule, d)),
      { numRuns: RUNS },
    );
  });

  it('iteration operators over arrays of records', () => {
    const rec = fc.dictionary(fc.constantFrom(...KEYS), scalar, { maxKeys: 4, noNullPrototype: true });
    const arrData = fc.record({
      a: fc.array(rec, { maxLength: 5 }),
      b: fc.array(num, { maxLength: 5 }),
      x: scalar,
    });
    const iter = fc
      .record({
        op: fc.constantFrom(...ITER, 'reduce'),
        arr: fc.constantFrom({ var: 'a' }, { var: 'b' }, { var: 'x' }, [1, 2, 3], []),
        body: ruleArb(false),
      })
      .map(({ op, arr, body }) => (op === 'reduce' ? { reduce: [arr, body, 0] } : { [op]: [arr, body] }));
    fc.assert(
      fc.property(iter, arrData, (rule, d) => check(engine, rule, d)),
      { numRuns: RUNS },
    );
  });

  it('arithmetic and comparison over numeric strings and mixed types', () => {
    const operand = fc.oneof(
      scalar,
      fc.array(scalar, { maxLength: 2 }).map((xs) => ({ merge: xs })),
      fc.constantFrom({ var: 'a' }, { var: 'b' }),
    );
    const op = fc.constantFrom(
      '==',
      '!=',
      '===',
      '!==',
      '<',
      '<=',
      '>',
      '>=',
      '+',
      '-',
      '*',
      '/',
      '%',
      'max',
      'min',
      'in',
      'cat',
      '!',
    );
    const rule = fc
      .record({ op, xs: fc.array(operand, { minLength: 1, maxLength: 3 }) })
      .map(({ op: o, xs }) => {
        const two = ['==', '!=', '===', '!==', '>', '>=', '/', '%', 'in'].includes(o);
        if (two) return { [o]: [xs[0], xs[1] ?? xs[0]] };
        if (o === '<' || o === '<=') return { [o]: [xs[0], xs[1] ?? xs[0], ...xs.slice(2)] };
        if (o === '!') return { [o]: [xs[0]] };
        if (o === '-') return { [o]: xs.slice(0, 2) };
        return { [o]: xs };
      });
    fc.assert(
      fc.property(rule, fc.record({ a: scalar, b: data }), (r, d) => check(engine, r, d)),
      { numRuns: RUNS },
    );
  });
});

describe('generated code and closures agree exactly (step counts and size limits included)', () => {
  afterAll(() => {
    // Code generation never failed (a failure falls back to closures silently).
    expect(codegenStats.fallbacks).toBe(0);
    expect(codegenStats.generated).toBeGreaterThan(0);
  });

  type Outcome = { value: unknown } | { code: string };
  const outcome = (f: () => unknown): Outcome => {
    try {
      return { value: f() };
    } catch (e) {
      return { code: e instanceof RuleEvaluationError ? e.code : `not a RuleEvaluationError: ${String(e)}` };
    }
  };
  const agree = (
    limits: { maxSteps: number; maxArrayLength: number; maxStringLength: number },
    rule: unknown,
    d: unknown,
  ) => {
    const gen = createRulesEngine({ codegen: true, limits });
    const clo = createRulesEngine({ codegen: false, limits });
    const a = outcome(() => gen.compile(rule).evaluate(d));
    const b = outcome(() => clo.compile(rule).evaluate(d));
    if ('code' in a || 'code' in b) {
      expect(a).toEqual(b);
    } else if (!sameValue(a.value, b.value)) {
      throw new Error(`codegen ${JSON.stringify(a.value)} vs closures ${JSON.stringify(b.value)}`);
    }
  };
  const limits = fc.record({
    maxSteps: fc.integer({ min: 1, max: 60 }),
    maxArrayLength: fc.integer({ min: 1, max: 12 }),
    maxStringLength: fc.integer({ min: 1, max: 40 }),
  });

  it('under tight limits, over generated data', () => {
    fc.assert(fc.property(limits, ruleArb(true), data, agree), { numRuns: Math.ceil(RUNS / 2) });
  });

  it('under tight limits, over object-shaped data', () => {
    const objData = fc.dictionary(fc.constantFrom(...KEYS), data, {
      minKeys: 2,
      maxKeys: 6,
      noNullPrototype: true,
    });
    fc.assert(fc.property(limits, ruleArb(false), objData, agree), { numRuns: Math.ceil(RUNS / 2) });
  });
});
