import jsonLogic from 'json-logic-js';
import { afterEach, describe, expect, it } from 'vitest';
import { codegenStats, detectCodegen, generateRule } from '../src/codegen.js';
import { compileRule } from '../src/compile.js';
import { createRulesEngine, DEFAULT_LIMITS } from '../src/index.js';

const g = globalThis as Record<string, unknown>;

/** Payloads that would run code if they were pasted into the generated source unescaped. */
const PAYLOADS = [
  "'); globalThis.__pwned = 1; ('",
  '"); globalThis.__pwned = 1; ("',
  '"]; globalThis.__pwned = 1; ["',
  '`; globalThis.__pwned = 1; `',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: the payload is a template placeholder.
  '${globalThis.__pwned = 1}',
  '\u2028globalThis.__pwned = 1;//',
  '\u2029globalThis.__pwned = 1;//',
  '\\"; globalThis.__pwned = 1; //',
  '*/ globalThis.__pwned = 1; /*',
  '\n globalThis.__pwned = 1; \n',
  '\ud800 globalThis.__pwned = 1;',
  '}); globalThis.__pwned = 1; (function(){',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: the payload is a template placeholder.
  'a.b\'"`${x}`.c',
  'constructor',
  '__proto__',
  'k0',
  'n',
  's',
];

describe('code generation never turns rule input into code', () => {
  afterEach(() => {
    expect(g.__pwned).toBeUndefined();
  });

  const engine = createRulesEngine({ codegen: true });

  const closures = createRulesEngine({ codegen: false });

  it('string literals, var paths and missing keys come back as data', () => {
    for (const p of PAYLOADS) {
      const ctx = { [p]: p, nested: { [p]: { [p]: 7 } }, x: 'x' };
      const rules: unknown[] = [
        p,
        { cat: [p, { var: 'x' }] },
        { '==': [{ var: 'x' }, p] },
        { in: [p, [p, 'b']] },
        { in: [{ var: 'x' }, ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', p]] },
        { in: ['x', p] },
        { var: [`zz.${p}`, p] },
        { var: p },
        { var: [p, 'd'] },
        { var: `nested.${p}` },
        { missing: [p, `nested.${p}`, 'x'] },
        { missing_some: [1, [p, 'q']] },
        { substr: [p, 0] },
        { if: [{ var: 'nope' }, 1, p] },
        { map: [[p, 'x'], { cat: [{ var: '' }, p] }] },
      ];
      for (const rule of rules) {
        if (engine.validate(rule).errors.length > 0) continue; // e.g. a forbidden path
        const out = engine.compile(rule).evaluate(ctx);
        expect(out).toEqual(closures.compile(rule).evaluate(ctx));
        expect(out).toEqual(jsonLogic.apply(rule as never, ctx));
      }
      expect(engine.compile(p).evaluate({})).toBe(p);
      expect(engine.compile({ cat: [p, p] }).evaluate({})).toBe(p + p);
    }
    expect(codegenStats.fallbacks).toBe(0);
  });

  it('object keys of literals and custom operator names are never emitted', () => {
    for (const p of PAYLOADS) {
      if (['constructor', '__proto__'].includes(p)) continue;
      const literal = { [p]: p, other: [p] };
      expect(engine.compile({ if: [true, literal, 0] }).evaluate({})).toEqual(literal);
      const custom = createRulesEngine({ codegen: true, operators: { [p]: (args) => args.join('|') } });
      expect(custom.compile({ [p]: [p, { var: 'a' }] }).evaluate({ a: 1 })).toBe(`${p}|1`);
      expect(custom.compile({ cat: [{ [p]: [] }, p] }).evaluate({})).toBe(p);
    }
    expect(codegenStats.fallbacks).toBe(0);
  });

  it('user strings appear in the generated source only inside JSON string literals', () => {
    const cx = { lim: DEFAULT_LIMITS, custom: new Map(), trace: false };
    for (const p of PAYLOADS) {
      const rule = {
        and: [
          { '==': [{ var: `a.${p}` }, p] },
          { in: [{ var: 'b' }, [p, 'x']] },
          { cat: [p, { var: p }] },
          { missing: [p] },
        ],
      };
      const memo = new Map();
      compileRule(rule, cx, memo);
      const out = generateRule(rule, cx, memo);
      expect(out).toBeDefined();
      // Without its string literals, the source holds no trace of any payload.
      const code = (out?.source ?? '').replace(/"(?:[^"\\\n]|\\.)*"/g, '""');
      expect(code).not.toContain('__pwned');
      expect(code).not.toContain('globalThis');
    }
  });
});

describe('code generation availability', () => {
  it('detects environments without code generation from strings', () => {
    const real = globalThis.Function;
    try {
      globalThis.Function = (() => {
        throw new EvalError('Code generation from strings disallowed for this context');
      }) as unknown as FunctionConstructor;
      expect(detectCodegen()).toBe(false);
    } finally {
      globalThis.Function = real;
    }
    expect(detectCodegen()).toBe(true);
  });

  it('codegen: false never calls the Function constructor', () => {
    const real = globalThis.Function;
    let calls = 0;
    try {
      globalThis.Function = ((...args: string[]) => {
        calls++;
        return new real(...args);
      }) as unknown as FunctionConstructor;
      const e = createRulesEngine({ codegen: false });
      expect(e.codegen).toBe(false);
      expect(e.compile({ '+': [{ var: 'a' }, 1] }).evaluate({ a: 1 })).toBe(2);
      expect(calls).toBe(0);
    } finally {
      globalThis.Function = real;
    }
  });

  it('is on by default here', () => {
    expect(createRulesEngine().codegen).toBe(true);
  });
});
