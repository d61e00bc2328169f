import {
  type Arity,
  childPath,
  closest,
  ITERATION_OPERATORS,
  isLogic,
  KNOWN_ROOTS,
  OWN_OPERATORS,
  STANDARD_OPERATORS,
} from './ops.js';
import { FORBIDDEN_SEGMENTS } from './runtime.js';
import type { ContextSchema, RuleLimits, RuleProblem, ValidateOptions, ValidationResult } from './types.js';

class TooManyNodes extends Error {}

export function validateRule(
  rule: unknown,
  limits: RuleLimits,
  arityOf: (op: string) => Arity | undefined,
  operatorNames: () => readonly string[],
  options: ValidateOptions | undefined,
): ValidationResult {
  const errors: RuleProblem[] = [];
  const warnings: RuleProblem[] = [];
  const schema = options?.contextSchema;
  let nodes = 0;

  const count = (path: string): void => {
    nodes++;
    if (nodes > limits.maxNodes) {
      errors.push({
        path,
        code: 'too_many_nodes',
        message: `rule has more than ${limits.maxNodes} nodes`,
      });
      throw new TooManyNodes();
    }
  };

  const checkPath = (raw: unknown, path: string, scoped: boolean): void => {
    if (typeof raw !== 'string' && typeof raw !== 'number') return;
    const str = String(raw);
    if (str === '') return;
    if (str.length > limits.maxVarPathLength) {
      errors.push({
        path,
        code: 'path_too_long',
        message: `variable path is ${str.length} characters long (limit ${limits.maxVarPathLength})`,
      });
      return;
    }
    const parts = str.split('.');
    const bad = parts.find((p) => FORBIDDEN_SEGMENTS.has(p));
    if (bad !== undefined) {
      errors.push({
        path,
        code: 'forbidden_path',
        message: `variable path ${JSON.stringify(str)} uses "${bad}"`,
      });
      return;
    }
    if (!scoped) checkKnown(parts, path);
  };

  const checkKnown = (parts: string[], path: string): void => {
    const full = parts.join('.');
    const root = parts[0] as string;
    const roots = schema ? Object.keys(schema) : KNOWN_ROOTS;
    if (!roots.includes(root)) {
      const near = closest(root, roots);
      const suggestion = near ? [near, ...parts.slice(1)].join('.') : schema ? undefined : `event.${full}`;
      warnings.push({
        path,
        code: 'unknown_root',
        message: `variable ${JSON.stringify(full)} is not under a known root (${roots.join(', ')})`,
        ...(suggestion ? { suggestion } : {}),
      });
      return;
    }
    if (!schema) return;
    let node: true | ContextSchema = schema;
    for (let i = 0; i < parts.length; i++) {
      if (node === true) return;
      const seg = parts[i] as string;
      const next: true | ContextSchema | undefined = Object.hasOwn(node, seg) ? node[seg] : node['*'];
      if (next === undefined) {
        const keys = Object.keys(node).filter((k) => k !== '*');
        const near = closest(seg, keys);
        const known = parts.slice(0, i).join('.');
        warnings.push({
          path,
          code: 'unknown_path',
          message: `variable ${JSON.stringify(full)} is not in the context schema (known under ${JSON.stringify(known)}: ${keys.slice(0, 10).join(', ')})`,
          ...(near ? { suggestion: [...parts.slice(0, i), near, ...parts.slice(i + 1)].join('.') } : {}),
        });
        return;
      }
      node = next;
    }
  };

  const literal = (x: unknown, path: string, depth: number): void => {
    count(path);
    if (depth > limits.maxDepth) {
      errors.push({ path, code: 'too_deep', message: `rule is nested deeper than ${limits.maxDepth}` });
      return;
    }
    switch (typeof x) {
      case 'string':
        if (x.length > limits.maxStringLength) {
          errors.push({
            path,
            code: 'literal_too_large',
            message: `string literal of ${x.length} characters (limit ${limits.maxStringLength})`,
          });
        }
        return;
      case 'number':
      case 'boolean':
        return;
      case 'object':
        if (x === null) return;
        if (Array.isArray(x)) {
          if (x.length > limits.maxLiteralArrayLength) {
            errors.push({
              path,
              code: 'literal_too_large',
              message: `array of ${x.length} elements (limit ${limits.maxLiteralArrayLength})`,
            });
            return;
          }
          for (let i = 0; i < x.length; i++) {
            if (!(i in x)) {
              errors.push({ path: childPath(path, i), code: 'invalid_value', message: 'sparse array' });
              continue;
            }
            literal(x[i], childPath(path, i), depth + 1);
          }
          return;
        }
        if (!isPlainObject(x)) {
          errors.push({ path, code: 'invalid_value', message: 'not a JSON value (non-plain object)' });
          return;
        }
        for (const k of Object.keys(x))
          literal((x as Record<string, unknown>)[k], childPath(path, k), depth + 1);
        return;
      default:
        errors.push({ path, code: 'invalid_value', message: `not a JSON value (${typeof x})` });
    }
  };

  const walk = (x: unknown, path: string, depth: number, scoped: boolean): void => {
    if (Array.isArray(x)) {
      count(path);
      if (depth > limits.maxDepth) {
        errors.push({ path, code: 'too_deep', message: `rule is nested deeper than ${limits.maxDepth}` });
        return;
      }
      if (x.length > limits.maxLiteralArrayLength) {
        errors.push({
          path,
          code: 'literal_too_large',
          message: `array of ${x.length} elements (limit ${limits.maxLiteralArrayLength})`,
        });
        return;
      }
      for (let i = 0; i < x.length; i++) {
        if (!(i in x)) {
          errors.push({ path: childPath(path, i), code: 'invalid_value', message: 'sparse array' });
          continue;
        }
        walk(x[i], childPath(path, i), depth + 1, scoped);
      }
      return;
    }
    if (!isLogic(x) || !isPlainObject(x)) {
      if (typeof x === 'object' && x !== null && isPlainObject(x)) {
        const n = Object.keys(x).length;
        if (n > 1) {
          warnings.push({
            path,
            code: 'invalid_value',
            message: `an object with ${n} keys is a literal value, not an operation (an operation has exactly one key)`,
          });
        }
      }
      literal(x, path, depth);
      return;
    }
    count(path);
    if (depth > limits.maxDepth) {
      errors.push({ path, code: 'too_deep', message: `rule is nested deeper than ${limits.maxDepth}` });
      return;
    }
    const op = Object.keys(x)[0] as string;
    const opPath = childPath(path, op);
    const raw = x[op];
    const args = Array.isArray(raw) ? raw : [raw];
    const argPath = (i: number): string => (Array.isArray(raw) ? childPath(opPath, i) : opPath);
    const arity = arityOf(op);
    if (!arity) {
      const near = closest(op, operatorNames());
      errors.push({
        path: opPath,
        code: 'unknown_operator',
        message:
          op === 'log' || op === 'method'
            ? `operator "${op}" is not available (it is unsafe)`
            : `unknown operator ${JSON.stringify(op)}`,
        ...(near ? { suggestion: near } : {}),
      });
      return;
    }
    if (Array.isArray(raw)) count(opPath);
    if (args.length < arity.min || args.length > arity.max) {
      const want =
        arity.min === arity.max
          ? `${arity.min}`
          : arity.max === Number.POSITIVE_INFINITY
            ? `at least ${arity.min}`
            : `${arity.min} to ${arity.max}`;
      errors.push({
        path: opPath,
        code: 'arity',
        message: `"${op}" takes ${want} argument${want === '1' ? '' : 's'}, got ${args.length}`,
      });
    }
    if (op === 'var') {
      const a = args[0];
      checkPath(Array.isArray(a) ? undefined : a, argPath(0), scoped);
    } else if (op === 'missing') {
      const keys = Array.isArray(args[0]) ? args[0] : args;
      keys.forEach((k, i) => {
        const p = Array.isArray(args[0]) ? childPath(argPath(0), i) : argPath(i);
        checkPath(Array.isArray(k) ? k[0] : k, p, scoped);
      });
    } else if (op === 'missing_some' && Array.isArray(args[1])) {
      const opts = args[1] as unknown[];
      const keys = Array.isArray(opts[0]) ? (opts[0] as unknown[]) : opts;
      keys.forEach((k, i) => {
        checkPath(Array.isArray(k) ? k[0] : k, childPath(argPath(1), i), scoped);
      });
    }
    const iterating = ITERATION_OPERATORS.has(op);
    for (let i = 0; i < args.length; i++) {
      walk(args[i], argPath(i), depth + 1, scoped || (iterating && i === 1));
    }
  };

  try {
    walk(rule, '$', 1, false);
  } catch (e) {
    if (!(e instanceof TooManyNodes)) throw e;
  }
  return { errors, warnings };
}

function isPlainObject(x: object): boolean {
  const proto = Object.getPrototypeOf(x);
  return proto === Object.prototype || proto === null;
}

export function standardOrOwnArity(op: string): Arity | undefined {
  return STANDARD_OPERATORS.get(op) ?? OWN_OPERATORS.get(op);
}
