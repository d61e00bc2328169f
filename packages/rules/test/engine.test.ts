import { describe, expect, it } from 'vitest';
import { createRulesEngine, type EvaluationEnv } from '../src/index.js';
import { MODES } from './helpers.js';

describe.each(MODES)('codegen: $codegen', ({ codegen }) => {
  describe('engine instances', () => {
    it('custom operators are isolated between instances', () => {
      const a = createRulesEngine({ codegen, operators: { double: ([x]) => (x as number) * 2 } });
      const b = createRulesEngine({ codegen, operators: { double: ([x]) => `${String(x)}${String(x)}` } });
      const plain = createRulesEngine({ codegen });
      expect(a.compile({ double: 21 }).evaluate({})).toBe(42);
      expect(b.compile({ double: 21 }).evaluate({})).toBe('2121');
      expect(plain.validate({ double: 21 }).errors[0]?.code).toBe('unknown_operator');
      expect(a.operators).toContain('double');
      expect(plain.operators).not.toContain('double');
      expect(plain.operators).toContain('days_since');
    });

    it('custom operators receive evaluated args and the resolved env', () => {
      let seen: [unknown[], Required<EvaluationEnv>] | undefined;
      const e = createRulesEngine({
        codegen,
        operators: {
          spy: (args, env) => {
            seen = [args, env];
            return true;
          },
        },
      });
      const now = new Date('2024-01-01T00:00:00Z');
      e.compile({ spy: [{ var: 'event.amount' }, { '+': [1, 2] }] }).evaluate(
        { event: { amount: 5 } },
        { now },
      );
      expect(seen).toEqual([[5, 3], { now, timeZone: 'UTC' }]);
    });

    it('a custom operator may not shadow a standard or built-in one', () => {
      for (const name of ['var', 'in', '+', 'some', 'floor', 'days_since', 'log', '__proto__']) {
        expect(() => createRulesEngine({ codegen, operators: { [name]: () => 1 } })).toThrow(TypeError);
      }
    });

    it('limits are per instance', () => {
      const tight = createRulesEngine({ codegen, limits: { maxSteps: 10 } });
      const rule = { map: [[1, 2, 3, 4, 5, 6], { '+': [{ var: '' }, 1] }] };
      expect(() => tight.compile(rule).evaluate({})).toThrow(/steps/);
      expect(createRulesEngine({ codegen }).compile(rule).evaluate({})).toEqual([2, 3, 4, 5, 6, 7]);
    });

    it('source is a frozen snapshot of the rule', () => {
      const rule = { '==': [{ var: 'event.type' }, 'purchase'] };
      const compiled = createRulesEngine({ codegen }).compile(rule);
      rule['=='][1] = 'refund';
      expect(compiled.source).toEqual({ '==': [{ var: 'event.type' }, 'purchase'] });
      expect(Object.isFrozen(compiled.source)).toBe(true);
      expect(compiled.evaluate({ event: { type: 'purchase' } })).toBe(true);
    });
  });

  describe('explain', () => {
    const engine = createRulesEngine({ codegen });
    const ctx = { event: { amount: 50, items: [{ qty: 1 }, { qty: 3 }] }, customer: { tags: ['vip'] } };

    it('returns every sub-expression with its value', () => {
      const tree = engine
        .compile({
          and: [{ '>=': [{ var: 'event.amount' }, 10] }, { in: ['vip', { var: 'customer.tags' }] }],
        })
        .explain(ctx);
      expect(tree).toMatchObject({
        op: 'and',
        path: '$',
        value: true,
        args: [
          {
            op: '>=',
            path: '$.and[0]',
            value: true,
            args: [
              { op: 'var', path: '$.and[0][">="][0]', value: 50 },
              { op: 'literal', path: '$.and[0][">="][1]', value: 10 },
            ],
          },
          { op: 'in', path: '$.and[1]', value: true },
        ],
      });
    });

    it('marks short-circuited branches as skipped', () => {
      const tree = engine
        .compile({ or: [{ '>': [{ var: 'event.amount' }, 10] }, { var: 'customer.vip' }] })
        .explain(ctx);
      expect(tree.value).toBe(true);
      expect(tree.args?.[1]).toEqual({ op: 'var', path: '$.or[1]', value: undefined, skipped: true });
      const ifTree = engine.compile({ if: [false, 'a', 'b'] }).explain(ctx);
      expect(ifTree.args?.map((a) => a.skipped ?? false)).toEqual([false, true, false]);
    });

    it('shows an iteration body once per element evaluated', () => {
      const tree = engine
        .compile({ some: [{ var: 'event.items' }, { '>': [{ var: 'qty' }, 2] }] })
        .explain(ctx);
      expect(tree.value).toBe(true);
      expect(tree.args?.map((a) => [a.path, a.value])).toEqual([
        ['$.some[0]', ctx.event.items],
        ['$.some[1]', false],
        ['$.some[1]', true],
      ]);
    });
  });
});
