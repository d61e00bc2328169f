import jsonLogic from 'json-logic-js';
import { describe, expect, it } from 'vitest';
import { createRulesEngine, DEFAULT_LIMITS, isTruthy, RuleValidationError } from '../src/index.js';
import { MODES, sameValue } from './helpers.js';

const data = {
  a: 1,
  b: '2',
  s: 'hello',
  arr: [1, 2, 3],
  nested: { x: { y: { z: 'deep' } }, list: [{ id: 'p1' }, { id: 'p2' }] },
  empty: [],
  zero: 0,
  nul: null,
};

// [rule, expected] — each is also checked against json-logic-js.
const cases: [unknown, unknown][] = [
  // var
  [{ var: 'a' }, 1],
  [{ var: ['a'] }, 1],
  [{ var: 'nested.x.y.z' }, 'deep'],
  [{ var: 'nested.list.1.id' }, 'p2'],
  [{ var: 'arr.0' }, 1],
  [{ var: 'arr.length' }, 3],
  [{ var: 's.length' }, 5],
  [{ var: 's.0' }, 'h'],
  [{ var: 'missing' }, null],
  [{ var: ['missing', 'dflt'] }, 'dflt'],
  [{ var: ['nul', 'dflt'] }, null],
  [{ var: 'nul.x' }, null],
  [{ var: ['nul.x', 7] }, 7],
  [{ var: '' }, data],
  [{ var: [] }, data],
  [{ var: 1 }, null],
  [{ var: { cat: ['nested', '.x.y.z'] } }, 'deep'],
  // missing, missing_some
  [{ missing: ['a', 'zzz', 'nul', 'nested.x'] }, ['zzz', 'nul']],
  [{ missing: [['a', 'q']] }, ['q']],
  [{ missing: 'q' }, ['q']],
  [{ missing_some: [1, ['a', 'q']] }, []],
  [{ missing_some: [2, ['a', 'q', 'r']] }, ['q', 'r']],
  // if / ?:
  [{ if: [true, 'yes', 'no'] }, 'yes'],
  [{ if: [[], 'yes', 'no'] }, 'no'],
  [{ if: [false, 1, { '==': [1, 1] }, 2, 3] }, 2],
  [{ if: [false, 1] }, null],
  [{ if: ['else-only'] }, 'else-only'],
  [{ '?:': [0, 'a', 'b'] }, 'b'],
  // equality
  [{ '==': [1, '1'] }, true],
  [{ '==': [0, false] }, true],
  [{ '==': [null, 0] }, false],
  [{ '==': [[1], 1] }, true],
  [{ '===': [1, '1'] }, false],
  [{ '!=': [1, '2'] }, true],
  [{ '!==': [1, 1] }, false],
  // logic
  [{ '!': [[]] }, true],
  [{ '!': '0' }, false],
  [{ '!!': [[0]] }, true],
  [{ '!!': '' }, false],
  [{ or: [0, '', 'x', 'y'] }, 'x'],
  [{ or: [0, false] }, false],
  [{ and: [1, 'a', 0, 'b'] }, 0],
  [{ and: [1, 'last'] }, 'last'],
  // comparisons
  [{ '>': [2, 1] }, true],
  [{ '>=': ['2', 2] }, true],
  [{ '<': [1, 2, 3] }, true],
  [{ '<': [1, 3, 2] }, false],
  [{ '<=': [1, 1, 2] }, true],
  [{ '<': ['a', 'b'] }, true],
  // arithmetic
  [{ max: [1, 3, '2'] }, 3],
  [{ min: [4, -1, 2] }, -1],
  [{ '+': [1, '2', 3.5] }, 6.5],
  [{ '+': '3.14' }, 3.14],
  [{ '+': [] }, 0],
  [{ '-': [5, 2] }, 3],
  [{ '-': 2 }, -2],
  [{ '*': [2, '3', 4] }, 24],
  [{ '*': ['3'] }, '3'],
  [{ '/': [1, 4] }, 0.25],
  [{ '%': [10, 3] }, 1],
  // strings & arrays
  [{ in: ['ell', 'hello'] }, true],
  [{ in: [2, [1, 2, 3]] }, true],
  [{ in: ['2', [1, 2, 3]] }, false],
  [{ in: ['b', ['a', 'b', 'c', 'd', 'e', 'f', 'g']] }, true],
  [{ in: [1, null] }, false],
  [{ cat: ['a', 1, null, true, [1, [2, 3]]] }, 'a1true1,2,3'],
  [{ substr: ['jsonlogic', 4] }, 'logic'],
  [{ substr: ['jsonlogic', -5] }, 'logic'],
  [{ substr: ['jsonlogic', 1, 3] }, 'son'],
  [{ substr: ['jsonlogic', 4, -2] }, 'log'],
  [{ merge: [[1, 2], 3, [[4]]] }, [1, 2, 3, [4]]],
  [{ merge: [] }, []],
  // iteration
  [{ map: [{ var: 'arr' }, { '*': [{ var: '' }, 2] }] }, [2, 4, 6]],
  [{ map: [{ var: 'nope' }, 1] }, []],
  [{ filter: [{ var: 'arr' }, { '>': [{ var: '' }, 1] }] }, [2, 3]],
  [{ reduce: [{ var: 'arr' }, { '+': [{ var: 'current' }, { var: 'accumulator' }] }, 10] }, 16],
  [{ reduce: [{ var: 'nope' }, 1, 5] }, 5],
  [{ reduce: [{ var: 'arr' }, { var: 'current' }] }, 3],
  [{ all: [{ var: 'arr' }, { '>': [{ var: '' }, 0] }] }, true],
  [{ all: [[], true] }, false],
  [{ none: [[], true] }, true],
  [{ some: [[], true] }, false],
  [{ some: [{ var: 'nested.list' }, { '==': [{ var: 'id' }, 'p2'] }] }, true],
  [{ none: [{ var: 'arr' }, { '>': [{ var: '' }, 5] }] }, true],
  // literals and arrays of rules
  [5, 5],
  ['x', 'x'],
  [null, null],
  [
    [1, { var: 'a' }],
    [1, 1],
  ],
  [{}, {}],
  [
    { a: 1, b: 2 },
    { a: 1, b: 2 },
  ],
];

describe.each(MODES)('codegen: $codegen', ({ codegen }) => {
  const engine = createRulesEngine({ codegen });
  const ev = (rule: unknown, data?: unknown) => engine.compile(rule).evaluate(data);
  describe('standard operators (expected values, and same as json-logic-js)', () => {
    it.each(cases.map(([r, e], i) => [i, JSON.stringify(r), r, e] as const))(
      '#%i %s',
      (_i, _s, rule, expected) => {
        const ours = ev(rule, data);
        expect(ours).toEqual(expected);
        expect(sameValue(ours, jsonLogic.apply(rule as never, data))).toBe(true);
      },
    );

    it('`and`/`or` short-circuit', () => {
      let calls = 0;
      const e = createRulesEngine({ codegen, operators: { tick: () => ++calls } });
      expect(e.compile({ and: [false, { tick: [] }] }).evaluate({})).toBe(false);
      expect(e.compile({ or: [1, { tick: [] }] }).evaluate({})).toBe(1);
      expect(e.compile({ if: [true, 1, { tick: [] }] }).evaluate({})).toBe(1);
      expect(calls).toBe(0);
    });

    it('NaN results', () => {
      expect(ev({ '+': ['abc'] })).toBeNaN();
      expect(ev({ '/': [0, 0] })).toBeNaN();
    });

    it('isTruthy follows JsonLogic', () => {
      expect([[], 0, '', null, undefined, Number.NaN, false].map(isTruthy)).toEqual(Array(7).fill(false));
      expect([[0], '0', 1, {}, 'a', true].map(isTruthy)).toEqual(Array(6).fill(true));
    });

    it('log and method are not operators', () => {
      for (const rule of [{ log: 'x' }, { method: ['abc', 'toUpperCase'] }]) {
        expect(() => engine.compile(rule)).toThrow(RuleValidationError);
        expect(engine.validate(rule).errors[0]?.code).toBe('unknown_operator');
      }
    });

    it('constant results are frozen so a caller cannot corrupt later evaluations', () => {
      const r = engine.compile({ merge: [[1], [2]] });
      const out = r.evaluate({}) as number[];
      expect(Object.isFrozen(out)).toBe(true);
      expect(r.evaluate({})).toEqual([1, 2]);
    });

    it('DEFAULT_LIMITS', () => {
      expect(DEFAULT_LIMITS.maxDepth).toBe(32);
      expect(DEFAULT_LIMITS.maxNodes).toBe(2000);
    });
  });

  describe('own operators', () => {
    it.each([
      [{ floor: 2.7 }, 2],
      [{ floor: '-2.5' }, -3],
      [{ ceil: [2.1] }, 3],
      [{ round: 2.5 }, 3],
      [{ round: -2.5 }, -3],
      [{ round: 2.4 }, 2],
      [{ round: -0.4 }, 0],
      [{ abs: -4 }, 4],
      [{ abs: '-4.5' }, 4.5],
      [{ floor: { '/': [{ var: 'amount' }, 10] } }, 12],
    ])('%j', (rule, expected) => {
      expect(ev(rule, { amount: 125 })).toBe(expected);
    });

    it('numeric cast like +', () => {
      expect(ev({ floor: null })).toBeNaN();
      expect(ev({ abs: 'x' })).toBeNaN();
    });
  });
});
