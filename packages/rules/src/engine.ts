import { codegenAvailable, type GeneratedFn, generateRule } from './codegen.js';
import { type C, type CompileContext, compileRule, type Fn } from './compile.js';
import { OWN_OPERATORS, STANDARD_OPERATORS } from './ops.js';
import { deepFreeze, newState } from './runtime.js';
import {
  type CompiledRule,
  type CustomOperator,
  DEFAULT_LIMITS,
  type EvaluationEnv,
  type ExplainNode,
  type JsonLogic,
  RuleEvaluationError,
  type RuleLimits,
  type RulesEngine,
  type RulesEngineOptions,
  RuleValidationError,
  type ValidateOptions,
  type ValidationResult,
} from './types.js';
import { validateRule } from './validate.js';

const RESERVED = new Set(['log', 'method', '__proto__', 'constructor', 'prototype']);

function wrapError(e: unknown): RuleEvaluationError {
  if (e instanceof RuleEvaluationError) return e;
  const message = e instanceof Error ? e.message : String(e);
  return new RuleEvaluationError('OPERATOR_ERROR', `rule evaluation failed: ${message}`, { cause: e });
}

/**
 * Creates a rules engine. Custom operators belong to this instance only; a custom operator may not
 * use the name of a standard or built-in operator (nor `log`, `method`, `__proto__`, `constructor`,
 * `prototype`).
 */
export function createRulesEngine(options: RulesEngineOptions = {}): RulesEngine {
  const limits: RuleLimits = Object.freeze({ ...DEFAULT_LIMITS, ...definedOnly(options.limits ?? {}) });
  for (const [k, v] of Object.entries(limits)) {
    if (typeof v !== 'number' || !(v > 0)) throw new TypeError(`limits.${k} must be a positive number`);
  }
  const custom = new Map<string, CustomOperator>();
  for (const [name, fn] of Object.entries(options.operators ?? {})) {
    if (STANDARD_OPERATORS.has(name) || OWN_OPERATORS.has(name)) {
      throw new TypeError(`custom operator "${name}" would shadow a built-in operator`);
    }
    if (RESERVED.has(name) || name === '')
      throw new TypeError(`"${name}" is not allowed as an operator name`);
    if (typeof fn !== 'function') throw new TypeError(`custom operator "${name}" must be a function`);
    custom.set(name, fn);
  }
  const codegen = options.codegen !== false && codegenAvailable();
  const operators = Object.freeze([...STANDARD_OPERATORS.keys(), ...OWN_OPERATORS.keys(), ...custom.keys()]);
  const arityOf = (op: string) =>
    STANDARD_OPERATORS.get(op) ??
    OWN_OPERATORS.get(op) ??
    (custom.has(op) ? { min: 0, max: Number.POSITIVE_INFINITY } : undefined);

  const validate = (rule: JsonLogic, opts?: ValidateOptions): ValidationResult =>
    validateRule(rule, limits, arityOf, () => operators, opts);

  const compile = (rule: JsonLogic): CompiledRule => {
    const { errors } = validate(rule);
    if (errors.length > 0) throw new RuleValidationError(errors);
    const source = deepFreeze(structuredClone(rule));
    const cx: CompileContext = { lim: limits, custom, trace: false };
    const memo = codegen ? new Map<unknown, C>() : undefined;
    let root: Fn = compileRule(source, cx, memo);
    // Without time or custom operators, a generated rule needs no evaluation environment: it creates
    // its own State lazily, only when it calls a runtime helper (nothing is shared between calls).
    let stateless: GeneratedFn | undefined;
    if (memo) {
      const generated = generateRule(source, cx, memo);
      if (generated) {
        root = generated.fn;
        if (!generated.needsEnv) stateless = generated.fn;
      }
    }
    let traceRoot: Fn | undefined;
    // One state object reused across evaluations (allocated anew only for re-entrant calls, e.g.
    // from a custom operator); references to the context are dropped after each evaluation.
    const shared = newState(limits, undefined, undefined);
    const evaluateWithState = (context: unknown, env?: EvaluationEnv): unknown => {
      let s = shared;
      if (s.busy) s = newState(limits, context, env);
      else {
        s.n = 0;
        s.ctx = context;
        s.envIn = env;
      }
      s.busy = true;
      try {
        return root(context, s);
      } catch (e) {
        throw wrapError(e);
      } finally {
        s.busy = false;
        s.ctx = undefined;
        s.envIn = undefined;
        s.env = undefined;
      }
    };
    const evaluateStateless = (context: unknown): unknown => {
      try {
        return (stateless as GeneratedFn)(context, undefined);
      } catch (e) {
        throw wrapError(e);
      }
    };
    return Object.freeze({
      source,
      evaluate: stateless ? evaluateStateless : evaluateWithState,
      explain(context: unknown, env?: EvaluationEnv): ExplainNode {
        traceRoot ??= compileRule(source, { ...cx, trace: true });
        const s = newState(limits, context, env);
        const top: ExplainNode[] = [];
        s.tr = top;
        try {
          traceRoot(context, s);
        } catch (e) {
          throw wrapError(e);
        }
        return top[0] as ExplainNode;
      },
    });
  };

  return Object.freeze({ validate, compile, operators, codegen });
}

function definedOnly(o: Partial<RuleLimits>): Partial<RuleLimits> {
  const out: Partial<RuleLimits> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) (out as Record<string, unknown>)[k] = v;
  return out;
}
