import type { EvaluationEnv, ExplainNode, RuleLimits } from './types.js';
import { RuleEvaluationError } from './types.js';

/** Per-evaluation state threaded through every compiled closure. */
export interface State {
  /** Steps taken so far. */
  n: number;
  /** Step limit. */
  max: number;
  lim: RuleLimits;
  /** The root context (for env defaults). */
  ctx: unknown;
  envIn: EvaluationEnv | undefined;
  env: Required<EvaluationEnv> | undefined;
  /** Explain mode: the children list of the node being evaluated. */
  tr: ExplainNode[] | undefined;
  /** An evaluation is using this state (re-entrancy guard for state reuse). */
  busy: boolean;
}

export function newState(lim: RuleLimits, ctx: unknown, envIn: EvaluationEnv | undefined): State {
  return { n: 0, max: lim.maxSteps, lim, ctx, envIn, env: undefined, tr: undefined, busy: false };
}

/** Path segments a `var` may never read, statically or at run time. */
export const FORBIDDEN_SEGMENTS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

export const hasOwn = Object.hasOwn as (o: unknown, k: string) => boolean;

/** JsonLogic truthiness: like JavaScript, except that an empty array is falsy. */
export function isTruthy(value: unknown): boolean {
  if (value === true) return true;
  if (!value) return false;
  return !Array.isArray(value) || value.length !== 0;
}

export function stepLimit(s: State): never {
  return stepLimitAt(s.max);
}

export function stepLimitAt(max: number): never {
  throw new RuleEvaluationError('STEP_LIMIT', `rule evaluation exceeded ${max} steps`);
}

export function sizeLimit(what: string, size: number, max: number): never {
  throw new RuleEvaluationError('SIZE_LIMIT', `${what} of size ${size} exceeds the limit of ${max}`);
}

/** Charges `units` extra steps (used for allocations and copies). */
export function charge(s: State, units: number): void {
  s.n += units;
  if (s.n > s.max) stepLimit(s);
}

/**
 * Array.prototype.toString, but with a length budget (a rule can build arrays that share structure,
 * whose string form is exponentially long). Same result as JavaScript for JSON data; functions read
 * as empty, like null.
 */
export function joinArray(arr: readonly unknown[], s: State): string {
  const max = s.lim.maxStringLength;
  const out = joinInto(arr, max, 0);
  charge(s, out.length >> 5);
  return out;
}

function joinInto(arr: readonly unknown[], max: number, depth: number): string {
  if (depth > 64) sizeLimit('nested array', depth, 64);
  let out = '';
  for (let i = 0; i < arr.length; i++) {
    if (i > 0) out += ',';
    const e = arr[i];
    if (e === null || e === undefined || typeof e === 'function') continue;
    out += typeof e === 'string' ? e : Array.isArray(e) ? joinInto(e, max, depth + 1) : String(e);
    if (out.length > max) sizeLimit('string', out.length, max);
  }
  return out;
}

/**
 * What JavaScript's ToPrimitive would give for an array (its joined string), computed under the
 * size budget; any other value is returned unchanged (and coerced by the operator itself).
 */
export function prim(x: unknown, s: State): unknown {
  return typeof x === 'object' && x !== null && Array.isArray(x) ? joinArray(x, s) : x;
}

/**
 * Reads own property `k` of `d`; undefined when `d` is null/undefined, when `k` is not an own
 * property, or when the value is a function. For plain objects and arrays the fast `d[k]` is exact
 * (everything they inherit, except `__proto__`, which is a forbidden segment, is a function); any other
 * holder (class instances, null-prototype objects, objects with an own `constructor` key, strings) is
 * checked with Object.hasOwn before reading, so inherited getters never run.
 */
export function own(d: unknown, k: string): unknown {
  if (d === null || d === undefined) return undefined;
  const c = (d as { constructor?: unknown }).constructor;
  if (c !== Object && c !== Array && !hasOwn(d, k)) return undefined;
  const v = (d as Record<string, unknown>)[k];
  return typeof v === 'function' ? undefined : v;
}

/**
 * Walks `parts` through own properties like json-logic-js's `var`. A forbidden segment reads as
 * null; a missing value or a function reads as `notFound`.
 */
export function lookup(data: unknown, parts: readonly string[], notFound: unknown): unknown {
  let v = data;
  for (let i = 0; i < parts.length; i++) {
    if (v === null || v === undefined) return notFound;
    const p = parts[i] as string;
    if (FORBIDDEN_SEGMENTS.has(p)) return null;
    v = own(v, p);
    if (v === undefined) return notFound;
  }
  return v;
}

/** `lookup` for a path already known to have no forbidden segment. */
export function lookupClean(data: unknown, parts: readonly string[], notFound: unknown): unknown {
  let v = data;
  for (let i = 0; i < parts.length; i++) {
    if (v === null || v === undefined) return notFound;
    v = own(v, parts[i] as string);
    if (v === undefined) return notFound;
  }
  return v;
}

/** json-logic-js `var(a, b)` with safe property access. */
export function varValue(data: unknown, a: unknown, b: unknown, s: State): unknown {
  const notFound = b === undefined ? null : b;
  if (a === undefined || a === '' || a === null) return typeof data === 'function' ? notFound : data;
  return lookup(data, String(prim(a, s)).split('.'), notFound);
}

/**
 * json-logic-js `missing`. Keys are plain values: unlike json-logic-js we never interpret a value
 * that comes out of evaluation (or the data) as logic.
 */
export function missing(data: unknown, args: readonly unknown[], s: State): unknown[] {
  const keys = Array.isArray(args[0]) ? (args[0] as unknown[]) : args;
  const out: unknown[] = [];
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i];
    const value = Array.isArray(key) ? varValue(data, key[0], key[1], s) : varValue(data, key, undefined, s);
    if (value === null || value === '') out.push(key);
  }
  return out;
}

/** A `missing` key prepared at compile time. */
export interface PreparedKey {
  key: unknown;
  /** null: the whole data. */
  parts: string[] | null;
  notFound: unknown;
  clean: boolean;
}

export function prepareKey(key: unknown, s: State): PreparedKey {
  const a = Array.isArray(key) ? key[0] : key;
  const b = Array.isArray(key) ? key[1] : undefined;
  const notFound = b === undefined ? null : b;
  if (a === undefined || a === '' || a === null) return { key, parts: null, notFound, clean: true };
  const parts = String(prim(a, s)).split('.');
  return { key, parts, notFound, clean: !parts.some((p) => FORBIDDEN_SEGMENTS.has(p)) };
}

export function missingPrepared(data: unknown, keys: readonly PreparedKey[]): unknown[] {
  const out: unknown[] = [];
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i] as PreparedKey;
    const value =
      k.parts === null
        ? typeof data === 'function'
          ? k.notFound
          : data
        : k.clean
          ? lookupClean(data, k.parts, k.notFound)
          : lookup(data, k.parts, k.notFound);
    if (value === null || value === '') out.push(k.key);
  }
  return out;
}

export function missingSome(data: unknown, need: unknown, options: unknown, s: State): unknown {
  const areMissing = missing(data, Array.isArray(options) ? options : [options], s);
  if (options === null || options === undefined) {
    throw new TypeError('missing_some: options must not be null');
  }
  const len = (options as { length?: number }).length as number;
  if (len - areMissing.length >= (need as number)) return [];
  return areMissing;
}

/** parseFloat as json-logic-js applies it (for numbers: identity except -0 → 0). */
export function pf(x: unknown, s: State): number {
  if (typeof x === 'number') return x === 0 ? 0 : x;
  return Number.parseFloat(prim(x, s) as string);
}

export function checkString(str: string, s: State): string {
  const max = s.lim.maxStringLength;
  if (str.length > max) sizeLimit('string', str.length, max);
  if (str.length > 64) charge(s, str.length >> 5);
  return str;
}

export function checkArrayLength(len: number, s: State): void {
  const max = s.lim.maxArrayLength;
  if (len > max) sizeLimit('array', len, max);
  if (len > 32) charge(s, len >> 4);
}

export function cat(args: readonly unknown[], s: State): string {
  const max = s.lim.maxStringLength;
  let out = '';
  for (let i = 0; i < args.length; i++) {
    const x = args[i];
    if (x === null || x === undefined || typeof x === 'function') continue;
    out += typeof x === 'string' ? x : Array.isArray(x) ? joinArray(x, s) : String(x);
    if (out.length > max) sizeLimit('string', out.length, max);
  }
  return checkString(out, s);
}

export function substr(source: unknown, start: unknown, end: unknown, s: State): string {
  const src = String(prim(source, s));
  const st = prim(start, s) as number;
  const en = prim(end, s) as number;
  let r: string;
  if (en < 0) {
    // json-logic-js emulates PHP's negative length.
    const temp = src.substr(st);
    r = temp.substr(0, temp.length + en);
  } else {
    r = src.substr(st, en);
  }
  return checkString(r, s);
}

export function merge(args: readonly unknown[], s: State): unknown[] {
  let total = 0;
  for (let i = 0; i < args.length; i++) {
    const x = args[i];
    total += Array.isArray(x) ? x.length : 1;
  }
  checkArrayLength(total, s);
  const out: unknown[] = [];
  for (let i = 0; i < args.length; i++) {
    const x = args[i];
    if (Array.isArray(x)) for (let j = 0; j < x.length; j++) out.push(x[j]);
    else out.push(x);
  }
  return out;
}

export function inOp(a: unknown, b: unknown, s: State): boolean {
  if (!b) return false;
  if (typeof b === 'string') return b.indexOf(prim(a, s) as string) !== -1;
  if (Array.isArray(b)) return b.indexOf(a) !== -1;
  return false;
}

/** `==` with the array-to-string coercion done under budget. */
export function looseEq(a: unknown, b: unknown, s: State): boolean {
  if (typeof a === 'object' && a !== null) {
    if (b !== null && b !== undefined && typeof b !== 'object') a = prim(a, s);
  } else if (typeof b === 'object' && b !== null) {
    if (a !== null && a !== undefined) b = prim(b, s);
  }
  // biome-ignore lint/suspicious/noDoubleEquals: JsonLogic `==` is JavaScript loose equality.
  return a == b;
}

export function minMax(isMax: boolean, args: readonly unknown[], s: State): number {
  let r = isMax ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY;
  for (let i = 0; i < args.length; i++) {
    const v = +(prim(args[i], s) as number);
    r = isMax ? Math.max(r, v) : Math.min(r, v);
  }
  return r;
}

export function deepFreeze<T>(v: T): T {
  if (typeof v === 'object' && v !== null && !Object.isFrozen(v)) {
    Object.freeze(v);
    for (const k of Object.keys(v)) deepFreeze((v as Record<string, unknown>)[k]);
  }
  return v;
}
