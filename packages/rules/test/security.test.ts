import jsonLogic from 'json-logic-js';
import { describe, expect, it } from 'vitest';
import { createRulesEngine, DEFAULT_LIMITS, RuleEvaluationError, RuleValidationError } from '../src/index.js';
import { MODES } from './helpers.js';

function evalError(f: () => unknown): RuleEvaluationError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(RuleEvaluationError);
    return e as RuleEvaluationError;
  }
  throw new Error('expected a RuleEvaluationError');
}

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

describe.each(MODES)('codegen: $codegen', ({ codegen }) => {
  const engine = createRulesEngine({ codegen });

  /**
   * A CPU or memory bomb must be stopped by counting (steps, sizes), never by a clock: it stops
   * the same way under a budget of 1,000 steps as under the default, and a step limit names the
   * budget it counted to.
   */
  function expectStoppedByCount(rule: unknown, codes: RegExp): void {
    for (const maxSteps of [1_000, DEFAULT_LIMITS.maxSteps]) {
      const limited = createRulesEngine({ codegen, limits: { maxSteps } });
      const error = evalError(() => limited.compile(rule).evaluate({}));
      expect(error.code, `maxSteps ${maxSteps}`).toMatch(codes);
      if (error.code === 'STEP_LIMIT') expect(error.message).toContain(`exceeded ${maxSteps} steps`);
    }
  }
  describe('hostile rules', () => {
    it('json-logic-js leaks the prototype chain; our validation rejects such paths', () => {
      expect(jsonLogic.apply({ var: '__proto__' }, {})).toBe(Object.prototype);
      expect(jsonLogic.apply({ var: 'constructor.constructor' }, {})).toBe(Function);
      for (const path of ['__proto__', 'constructor.constructor', 'a.prototype', 'event.__proto__.x']) {
        const v = engine.validate({ var: path });
        expect(v.errors.map((e) => e.code)).toEqual(['forbidden_path']);
        expect(v.errors[0]?.path).toBe('$.var');
        expect(() => engine.compile({ var: path })).toThrow(RuleValidationError);
      }
      expect(engine.validate({ missing: ['x.constructor'] }).errors[0]?.code).toBe('forbidden_path');
    });

    it('computed var paths to the prototype yield null', () => {
      const ctx = { p: '__proto__', c: 'constructor', nested: { a: 1 } };
      for (const rule of [
        { var: { var: 'p' } },
        { var: { cat: ['con', 'structor.constructor'] } },
        { var: { cat: ['nested.', { var: 'p' }] } },
        { var: [{ var: 'c' }, 'dflt'] },
        { missing: [{ var: 'c' }] },
      ]) {
        const out = engine.compile(rule).evaluate(ctx);
        expect(typeof out).not.toBe('function');
        expect(out === null || Array.isArray(out)).toBe(true);
      }
      expect(engine.compile({ var: { var: 'p' } }).evaluate(ctx)).toBeNull();
    });

    it('var reads own properties only and never returns a function', () => {
      const ctx = { fn: () => 'secret', arr: [1, 2], str: 'abc', date: new Date(0), obj: { f() {} } };
      expect(engine.compile({ var: 'fn' }).evaluate(ctx)).toBeNull();
      expect(engine.compile({ var: 'obj.f' }).evaluate(ctx)).toBeNull();
      expect(engine.compile({ var: 'arr.map' }).evaluate(ctx)).toBeNull();
      expect(engine.compile({ var: 'str.toUpperCase' }).evaluate(ctx)).toBeNull();
      expect(engine.compile({ var: 'date.getTime' }).evaluate(ctx)).toBeNull();
      expect(engine.compile({ var: 'arr.length' }).evaluate(ctx)).toBe(2);
      expect(engine.compile({ var: ['obj.toString', 'd'] }).evaluate(ctx)).toBe('d');
      // json-logic-js would print a function's source here:
      expect(String(jsonLogic.apply({ cat: [{ var: 'fn' }] }, ctx))).toContain('secret');
      expect(engine.compile({ cat: [{ var: 'fn' }] }).evaluate(ctx)).toBe('');
    });

    it('log is not available (json-logic-js writes to stdout)', () => {
      expect(engine.validate({ log: 'x' }).errors[0]).toMatchObject({
        code: 'unknown_operator',
        path: '$.log',
      });
    });

    it('the reduce/merge array-doubling rule stops with SIZE_LIMIT (json-logic-js runs out of memory)', () => {
      const rule = {
        reduce: [range(64), { merge: [{ var: 'accumulator' }, { var: 'accumulator' }] }, [1]],
      };
      expect(JSON.stringify(rule.reduce[1]).length + 40).toBeLessThan(120);
      expectStoppedByCount(rule, /SIZE_LIMIT|STEP_LIMIT/);
    });

    it('string doubling with cat stops with SIZE_LIMIT', () => {
      const rule = { reduce: [range(64), { cat: [{ var: 'accumulator' }, { var: 'accumulator' }] }, 'xx'] };
      expect(evalError(() => engine.compile(rule).evaluate({})).code).toBe('SIZE_LIMIT');
    });

    it('shared-structure arrays cannot blow up when coerced to strings', () => {
      // Each step nests the accumulator twice: logically 2^60 elements, a few objects in memory.
      const tree = { reduce: [range(60), [{ var: 'accumulator' }, { var: 'accumulator' }], 'x'] };
      for (const wrap of [
        { cat: [tree] },
        { '==': [tree, 'x'] },
        { '+': [tree] },
        { in: [tree, 'abc'] },
        { substr: [tree, 1] },
      ]) {
        expectStoppedByCount(wrap, /SIZE_LIMIT|STEP_LIMIT/);
      }
    });

    it('nested some over literal arrays stops with STEP_LIMIT quickly', () => {
      const big = range(600); // 3 × 600 literal elements stay under the 2,000-node limit
      const rule = { some: [big, { some: [big, { some: [big, { '==': [{ var: '' }, -1] }] }] }] };
      expectStoppedByCount(rule, /^STEP_LIMIT$/);
      // A constant body folds at compile time but still cannot run away.
      const constant = { some: [big, { some: [big, { some: [big, false] }] }] };
      for (const maxSteps of [1_000, DEFAULT_LIMITS.maxSteps]) {
        const limited = createRulesEngine({ codegen, limits: { maxSteps } });
        const out = (() => {
          try {
            return limited.compile(constant).evaluate({});
          } catch (e) {
            return (e as RuleEvaluationError).message;
          }
        })();
        expect([false, `rule evaluation exceeded ${maxSteps} steps`]).toContain(out);
      }
    });

    it('deep nesting is a validation error, not a stack overflow', () => {
      let rule: unknown = true;
      for (let i = 0; i < 2000; i++) rule = { '!': [rule] };
      expect(() => jsonLogic.apply(rule as never, {})).toThrow(RangeError);
      const v = engine.validate(rule);
      expect(v.errors.map((e) => e.code)).toContain('too_deep');
      expect(() => engine.compile(rule)).toThrow(RuleValidationError);
      let deepArray: unknown = 1;
      for (let i = 0; i < 100_000; i++) deepArray = [deepArray];
      expect(engine.validate(deepArray).errors[0]?.code).toBe('too_deep');
    });

    it('too many nodes, too large literals and too long paths are validation errors', () => {
      const wide = { and: range(1500).map((i) => ({ '==': [{ var: 'event.amount' }, i] })) };
      expect(engine.validate(wide).errors.map((e) => e.code)).toEqual(['too_many_nodes']);
      expect(engine.validate({ in: [1, range(5000)] }).errors[0]?.code).toBe('literal_too_large');
      expect(engine.validate({ cat: ['x'.repeat(200_000)] }).errors[0]?.code).toBe('literal_too_large');
      expect(engine.validate({ var: `event.${'a'.repeat(300)}` }).errors[0]?.code).toBe('path_too_long');
    });

    it('non-JSON values in a rule are invalid', () => {
      expect(engine.validate({ '==': [() => 1, 1] }).errors[0]?.code).toBe('invalid_value');
      expect(engine.validate({ '==': [new Date(), 1] }).errors[0]?.code).toBe('invalid_value');
      expect(engine.validate({ '==': [undefined, 1] }).errors[0]?.code).toBe('invalid_value');
    });

    it('a rule never mutates the context', () => {
      const ctx = { event: { items: [{ q: 2 }, { q: 1 }], tags: ['b', 'a'] } };
      const before = JSON.stringify(ctx);
      const deepFrozen = structuredClone(ctx);
      for (const o of [deepFrozen, deepFrozen.event, ...deepFrozen.event.items, deepFrozen.event.tags])
        Object.freeze(o);
      const rules = [
        { map: [{ var: 'event.items' }, { merge: [{ var: '' }] }] },
        { filter: [{ var: 'event.tags' }, true] },
        { reduce: [{ var: 'event.items' }, { merge: [{ var: 'accumulator' }, { var: 'current' }] }, []] },
        { merge: [{ var: 'event.tags' }, 'c'] },
        { missing: [{ var: 'event.tags' }] },
      ];
      for (const r of rules) {
        engine.compile(r).evaluate(ctx);
        engine.compile(r).evaluate(deepFrozen); // would throw in strict mode on a write
        engine.compile(r).explain(ctx);
      }
      expect(JSON.stringify(ctx)).toBe(before);
    });

    it('a rule cannot reach globals', () => {
      const proto = Object.getOwnPropertyNames(Object.prototype).length;
      for (const r of [
        { var: 'constructor' },
        { var: { cat: ['__proto__.', 'polluted'] } },
        { map: [[1], { var: 'constructor.prototype' }] },
      ]) {
        try {
          engine.compile(r).evaluate({});
        } catch {
          // validation errors are fine
        }
      }
      expect(Object.getOwnPropertyNames(Object.prototype).length).toBe(proto);
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    });

    it('huge data arrays built by map are capped', () => {
      const e = createRulesEngine({ codegen, limits: { maxArrayLength: 100, maxSteps: 1e7 } });
      expect(evalError(() => e.compile({ map: [{ var: 'xs' }, 1] }).evaluate({ xs: range(101) })).code).toBe(
        'SIZE_LIMIT',
      );
      expect(e.compile({ map: [{ var: 'xs' }, 1] }).evaluate({ xs: range(100) })).toHaveLength(100);
    });

    it('custom operator errors surface as OPERATOR_ERROR', () => {
      const e = createRulesEngine({
        codegen,
        operators: {
          boom: () => {
            throw new Error('bad');
          },
        },
      });
      const err = evalError(() => e.compile({ boom: [] }).evaluate({}));
      expect(err.code).toBe('OPERATOR_ERROR');
      expect((err.cause as Error).message).toBe('bad');
    });
  });
});
