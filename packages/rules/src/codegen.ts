/**
 * Code generation: one JavaScript function per rule (`new Function`), with exactly the semantics
 * of the closure compiler (compile.ts) and all of its safety checks.
 *
 * - The closure compiler runs first and records, for every array and operation of the rule, whether
 *   it folded to a constant (and its value); the generator reads that, so both paths fold the same
 *   sub-trees to the same (deep-frozen) values.
 * - No user input ever becomes code: string literals and `var` path segments are emitted with
 *   `JSON.stringify` (a valid JavaScript string literal), finite numbers with `String`; every other
 *   value (objects, arrays, NaN, -0, custom operator functions, limits) is passed in the constants
 *   array `k` captured by the generated function. Operator names are only compared, never emitted.
 *   Variables, labels and helper names are generated from counters.
 * - Steps are counted exactly as the closures count them (one per node evaluated, one per iteration
 *   element, plus the allocation charges), in a local variable `n`; the per-evaluation `State` is
 *   only needed by the shared runtime helpers (array-to-string coercion, `merge`, time operators,
 *   custom operators...), and is created lazily (or passed by the engine when the rule needs the
 *   evaluation environment), with `n` synchronised around every call.
 * - Iteration bodies are inlined as loops; the element is a local variable. A `reduce` body reads
 *   `current` / `accumulator` from locals, and builds the `{ current, accumulator }` object only
 *   when the body needs the data object itself.
 */
import { type C, type CompileContext, roundHalfAwayFromZero, varParts } from './compile.js';
import { isLogic } from './ops.js';
import {
  FORBIDDEN_SEGMENTS,
  hasOwn,
  isTruthy,
  joinArray,
  looseEq,
  merge,
  missing,
  missingSome,
  newState,
  type PreparedKey,
  prepareKey,
  type State,
  sizeLimit,
  stepLimitAt,
  varValue,
} from './runtime.js';
import { daysSince, daysUntilAnniversary, resolveEnv, timeBetween } from './time.js';

/** A generated rule: the function, and whether it needs a State carrying the evaluation environment. */
export type GeneratedFn = (d: unknown, s: State | undefined) => unknown;

export interface GeneratedRule {
  fn: GeneratedFn;
  needsEnv: boolean;
  /** The generated source (for tests and debugging). */
  source: string;
}

let available: boolean | undefined;

/** Whether `new Function` works here (it does not under CSP or `--disallow-code-generation-from-strings`). */
export function codegenAvailable(): boolean {
  available ??= detectCodegen();
  return available;
}

/** Tries `new Function` (uncached). */
export function detectCodegen(): boolean {
  try {
    return new Function('return 1')() === 1;
  } catch {
    return false;
  }
}

/** Rules generated, and rules that fell back to closures because generation failed (a bug). */
export const codegenStats: { generated: number; fallbacks: number; lastError?: unknown } = {
  generated: 0,
  fallbacks: 0,
};

const RT = Object.freeze({
  O: Object,
  A: Array,
  isArray: Array.isArray,
  hasOwn,
  str: String,
  parseFloat: Number.parseFloat,
  floor: Math.floor,
  ceil: Math.ceil,
  abs: Math.abs,
  max: Math.max,
  min: Math.min,
  round: roundHalfAwayFromZero,
  looseEq,
  joinArray,
  varValue,
  missing,
  missingSome,
  merge,
  newState,
  stepLimitAt,
  sizeLimit,
  resolveEnv,
  daysSince,
  daysUntilAnniversary,
  timeBetween,
});

/** Names the generated code may use, bound from RT (only those used are bound). */
const RT_NAMES = Object.keys(RT);

/** Static type of a generated value: 'any' unless certain. */
type T = 'bool' | 'num' | 'str' | 'any';

/** A generated value: `e` is an atom (a variable, a literal or a constant) or a pure expression. */
interface E {
  e: string;
  t: T;
  k: boolean;
  v?: unknown;
}

interface Scope {
  /** Variable holding the data. */
  d: string;
  /** In a `reduce` body: locals holding `current` and `accumulator`; `need` when `d` must be built. */
  red?: { cur: string; acc: string; need: boolean };
}

/** A JavaScript string literal for `s` (JSON is valid JavaScript; line separators escaped too). */
function q(s: string): string {
  return JSON.stringify(s)
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

function numLit(x: number): string | undefined {
  if (!Number.isFinite(x) || Object.is(x, -0)) return undefined;
  const s = String(x);
  return x < 0 ? `(${s})` : s;
}

const isPrimT = (t: T) => t !== 'any';

class Gen {
  private lines: string[] = [];
  private readonly consts: unknown[];
  private id = 0;
  needsEnv = false;
  private readonly MAX: string;
  private readonly MAXA: string;
  private readonly MAXS: string;

  constructor(
    private readonly memo: ReadonlyMap<unknown, C>,
    private readonly cx: CompileContext,
  ) {
    this.consts = [cx.lim];
    this.MAX = this.limitLit(cx.lim.maxSteps);
    this.MAXA = this.limitLit(cx.lim.maxArrayLength);
    this.MAXS = this.limitLit(cx.lim.maxStringLength);
  }

  private limitLit(x: number): string {
    return numLit(x) ?? this.kref(x);
  }

  /** A reference to a value passed in the constants array. */
  private kref(v: unknown): string {
    this.consts.push(v);
    return `k${this.consts.length - 1}`;
  }

  private emit(line: string): void {
    this.lines.push(line);
  }

  private tmp(prefix = 't'): string {
    return `${prefix}${this.id++}`;
  }

  private step(): void {
    this.emit(`if (++n > ${this.MAX}) stepLimitAt(${this.MAX});`);
  }

  /** Emits a runtime helper call that takes the State (`n` synchronised around it). */
  private withS(stmt: string): void {
    this.emit(`if (s === undefined) s = S(); s.n = n; ${stmt} n = s.n;`);
  }

  private charge(units: string): void {
    this.emit(`n += ${units}; if (n > ${this.MAX}) stepLimitAt(${this.MAX});`);
  }

  lit(v: unknown): E {
    if (v === null) return { e: 'null', t: 'any', k: true, v };
    if (v === undefined) return { e: 'undefined', t: 'any', k: true, v };
    if (typeof v === 'boolean') return { e: String(v), t: 'bool', k: true, v };
    if (typeof v === 'string') return { e: q(v), t: 'str', k: true, v };
    if (typeof v === 'number') return { e: numLit(v) ?? this.kref(v), t: 'num', k: true, v };
    return { e: this.kref(v), t: 'any', k: true, v };
  }

  private isK(x: unknown): boolean {
    if (Array.isArray(x) || isLogic(x)) return (this.memo.get(x) as C).k;
    return true;
  }

  private kv(x: unknown): unknown {
    if (Array.isArray(x) || isLogic(x)) return (this.memo.get(x) as C).v;
    return x;
  }

  /** The data variable of the scope (in a reduce body, the `{ current, accumulator }` object is then built). */
  private data(sc: Scope): string {
    if (sc.red) sc.red.need = true;
    return sc.d;
  }

  private truthy(x: E): string | boolean {
    if (x.k) return isTruthy(x.v);
    if (x.t === 'bool') return x.e;
    if (x.t !== 'any') return `!!${x.e}`;
    return `(${x.e} === true || (!!${x.e} && (!isArray(${x.e}) || ${x.e}.length !== 0)))`;
  }

  private truthyCode(x: E): string {
    const t = this.truthy(x);
    return typeof t === 'boolean' ? String(t) : t;
  }

  /** Stores `expr` in a new variable. */
  private let(expr: string, t: T): E {
    const v = this.tmp();
    this.emit(`const ${v} = ${expr};`);
    return { e: v, t, k: false };
  }

  /** prim(x): an array becomes its joined string (under the string budget); anything else is unchanged. */
  private prim(x: E): E {
    if (isPrimT(x.t) || (x.k && !Array.isArray(x.v))) return x;
    const p = this.tmp('p');
    this.emit(`let ${p} = ${x.e};`);
    this.emit(`if (isArray(${p})) {`);
    this.withS(`${p} = joinArray(${p}, s);`);
    this.emit('}');
    return { e: p, t: 'any', k: false };
  }

  /** parseFloat as json-logic-js applies it: `pf` of runtime.ts (-0 becomes 0 for numbers). */
  private pf(x: E): E {
    if (x.k && typeof x.v === 'number') return this.lit(x.v === 0 ? 0 : x.v);
    if (x.k && (typeof x.v === 'string' || typeof x.v === 'boolean' || x.v === null || x.v === undefined))
      return this.lit(Number.parseFloat(x.v as string));
    if (x.t === 'num') return { e: `(${x.e} + 0)`, t: 'num', k: false };
    if (x.t === 'str' || x.t === 'bool') return { e: `parseFloat(${x.e})`, t: 'num', k: false };
    const p = this.tmp('p');
    this.emit(`let ${p} = ${x.e};`);
    this.emit(`if (typeof ${p} === 'number') ${p} = ${p} + 0; else {`);
    this.emit(`if (isArray(${p})) {`);
    this.withS(`${p} = joinArray(${p}, s);`);
    this.emit(`}`);
    this.emit(`${p} = parseFloat(${p}); }`);
    return { e: p, t: 'num', k: false };
  }

  /** `num` of compile.ts: numbers unchanged, anything else through pf. */
  private num(x: E): E {
    if (x.k && typeof x.v === 'number') return x;
    if (x.t === 'num') return x;
    if (x.k || x.t !== 'any') return this.pf(x);
    const p = this.tmp('p');
    this.emit(`let ${p} = ${x.e};`);
    this.emit(`if (typeof ${p} !== 'number') {`);
    this.emit(`if (isArray(${p})) {`);
    this.withS(`${p} = joinArray(${p}, s);`);
    this.emit(`}`);
    this.emit(`${p} = parseFloat(${p}); }`);
    return { e: p, t: 'num', k: false };
  }

  private checkArrayLength(len: string): void {
    this.emit(`if (${len} > ${this.MAXA}) sizeLimit('array', ${len}, ${this.MAXA});`);
    this.emit(`if (${len} > 32) {`);
    this.charge(`${len} >> 4`);
    this.emit('}');
  }

  private checkString(v: string): void {
    this.emit(`if (${v}.length > ${this.MAXS}) sizeLimit('string', ${v}.length, ${this.MAXS});`);
    this.emit(`if (${v}.length > 64) {`);
    this.charge(`${v}.length >> 5`);
    this.emit('}');
  }

  gen(x: unknown, sc: Scope): E {
    if (!Array.isArray(x) && !isLogic(x)) return this.lit(x);
    const c = this.memo.get(x);
    if (!c) throw new Error('codegen: node missing from the compile memo');
    if (c.k) return this.lit(c.v);
    if (Array.isArray(x)) {
      this.step();
      const parts = x.map((e) => this.gen(e, sc).e);
      return this.let(`[${parts.join(', ')}]`, 'any');
    }
    const op = Object.keys(x)[0] as string;
    const raw = x[op];
    return this.op(op, Array.isArray(raw) ? raw : [raw], sc);
  }

  private op(op: string, xs: readonly unknown[], sc: Scope): E {
    const n = xs.length;
    switch (op) {
      case 'var':
        return this.var(xs, sc);
      case 'missing':
        return this.missing(xs, sc);
      case 'missing_some':
        return this.missingSome(xs, sc);
      case 'if':
      case '?:':
        return this.if(xs, sc);
      case 'and':
      case 'or':
        return this.andOr(op === 'and', xs, sc);
      case '!':
      case '!!': {
        this.step();
        const a = this.gen(xs[0], sc);
        const t = this.truthyCode(a);
        return this.let(op === '!' ? `!${t}` : t, 'bool');
      }
      case '==':
      case '!=': {
        this.step();
        const a = this.gen(xs[0], sc);
        const b = this.gen(xs[1], sc);
        return this.looseEq(a, b, op === '!=');
      }
      case '===':
      case '!==': {
        this.step();
        const a = this.gen(xs[0], sc);
        const b = this.gen(xs[1], sc);
        return this.let(`${a.e} ${op} ${b.e}`, 'bool');
      }
      case '>':
      case '>=':
      case '<':
      case '<=': {
        this.step();
        const a = this.prim(this.gen(xs[0], sc));
        const b = this.prim(this.gen(xs[1], sc));
        if (n === 2) return this.let(`${a.e} ${op} ${b.e}`, 'bool');
        const z = this.gen(xs[2], sc);
        const r = this.tmp();
        this.emit(`let ${r};`);
        const known = z.k ? z.v !== undefined : isPrimT(z.t);
        if (!known) this.emit(`if (${z.e} === undefined) ${r} = ${a.e} ${op} ${b.e}; else {`);
        const zz = this.prim(z);
        this.emit(`${r} = ${a.e} ${op} ${b.e} && ${b.e} ${op} ${zz.e};`);
        if (!known) this.emit('}');
        return { e: r, t: 'bool', k: false };
      }
      case 'max':
      case 'min': {
        this.step();
        const vals = xs.map((x) => this.gen(x, sc));
        const f = op;
        if (vals.every((v) => isPrimT(v.t) || (v.k && !Array.isArray(v.v) && typeof v.v !== 'object'))) {
          const terms = vals.map((v) => (v.t === 'num' ? v.e : `+${v.e}`));
          return this.let(`${f}(${terms.join(', ')})`, 'num');
        }
        const r = this.tmp();
        vals.forEach((v, i) => {
          const p = this.prim(v);
          const term = p.t === 'num' ? p.e : `+${p.e}`;
          this.emit(i === 0 ? `let ${r} = ${term};` : `${r} = ${f}(${r}, ${term});`);
        });
        return { e: r, t: 'num', k: false };
      }
      case '+': {
        this.step();
        if (n === 0) return this.let('0', 'num');
        const terms = xs.map((x) => this.num(this.gen(x, sc)).e);
        return this.let(`0 + ${terms.join(' + ')}`, 'num');
      }
      case '*': {
        this.step();
        if (n === 1) return this.gen(xs[0], sc);
        if (n === 2) {
          const a = this.gen(xs[0], sc);
          const b = this.gen(xs[1], sc);
          const x = this.pf(a);
          const y = this.pf(b);
          return this.let(`${x.e} * ${y.e}`, 'num');
        }
        const acc = this.tmp();
        this.emit(`let ${acc} = ${this.gen(xs[0], sc).e};`);
        let accT: T = 'any';
        for (let i = 1; i < n; i++) {
          const y = this.gen(xs[i], sc);
          const pa = this.pf({ e: acc, t: accT, k: false });
          const py = this.pf(y);
          this.emit(`${acc} = ${pa.e} * ${py.e};`);
          accT = 'num';
        }
        return { e: acc, t: 'num', k: false };
      }
      case '-': {
        this.step();
        const a = this.gen(xs[0], sc);
        if (n === 1) {
          const p = this.prim(a);
          return this.let(`-${p.e}`, isPrimT(p.t) ? 'num' : 'any');
        }
        const b = this.gen(xs[1], sc);
        const r = this.tmp();
        this.emit(`let ${r};`);
        const known = b.k ? b.v !== undefined : isPrimT(b.t);
        if (!known) {
          this.emit(`if (${b.e} === undefined) {`);
          const p = this.prim(a);
          this.emit(`${r} = -${p.e}; } else {`);
        }
        const x = this.prim(a);
        const y = this.prim(b);
        this.emit(`${r} = ${x.e} - ${y.e};`);
        if (!known) this.emit('}');
        return { e: r, t: isPrimT(a.t) && isPrimT(b.t) ? 'num' : 'any', k: false };
      }
      case '/':
      case '%': {
        this.step();
        const a = this.prim(this.gen(xs[0], sc));
        const b = this.prim(this.gen(xs[1], sc));
        return this.let(`${a.e} ${op} ${b.e}`, isPrimT(a.t) && isPrimT(b.t) ? 'num' : 'any');
      }
      case 'in':
        return this.in(xs, sc);
      case 'cat':
        return this.cat(xs, sc);
      case 'substr':
        return this.substr(xs, sc);
      case 'merge': {
        this.step();
        const vals = xs.map((x) => this.gen(x, sc).e);
        const r = this.tmp();
        this.emit(`let ${r};`);
        this.withS(`${r} = merge([${vals.join(', ')}], s);`);
        return { e: r, t: 'any', k: false };
      }
      case 'map':
      case 'filter':
      case 'all':
      case 'none':
      case 'some':
        return this.iterate(op, xs, sc);
      case 'reduce':
        return this.reduce(xs, sc);
      case 'floor':
      case 'ceil':
      case 'abs':
      case 'round': {
        this.step();
        const a = this.num(this.gen(xs[0], sc));
        return this.let(`${op}(${a.e})`, 'num');
      }
      case 'days_since':
      case 'days_until_anniversary':
      case 'time_between': {
        this.needsEnv = true;
        this.step();
        const args = xs.map((x) => this.gen(x, sc).e);
        const f =
          op === 'days_since' ? 'daysSince' : op === 'time_between' ? 'timeBetween' : 'daysUntilAnniversary';
        const r = this.tmp();
        this.emit(`let ${r};`);
        this.withS(`${r} = ${f}(${args.join(', ')}, s);`);
        return { e: r, t: 'any', k: false };
      }
    }
    const custom = this.cx.custom.get(op);
    if (!custom) throw new Error('codegen: unknown operator'); // unreachable after validation
    this.needsEnv = true;
    this.step();
    const args = xs.map((x) => this.gen(x, sc).e);
    const f = this.kref(custom);
    const r = this.tmp();
    this.emit(`const ${r} = ${f}([${args.join(', ')}], resolveEnv(s));`);
    return { e: r, t: 'any', k: false };
  }

  /** Reads `parts` (a `lookup` of runtime.ts) from the scope's data into a new variable. */
  private read(sc: Scope, parts: readonly string[], nf: string): E {
    const r = this.tmp();
    this.emit(`let ${r} = ${nf};`);
    const first = parts[0] as string;
    if (sc.red && (first === 'current' || first === 'accumulator')) {
      // The data is `{ current, accumulator }`, a plain object: its own property is the local.
      this.segValue(first === 'current' ? sc.red.cur : sc.red.acc, parts, 0, r);
    } else {
      const d = this.data(sc);
      this.emit(`if (${d} != null) {`);
      this.seg(d, parts, 0, r);
      this.emit('}');
    }
    return { e: r, t: 'any', k: false };
  }

  /** Reads segment `i` of `parts` from `d` (known not null or undefined) into `r`. */
  private seg(d: string, parts: readonly string[], i: number, r: string): void {
    const p = parts[i] as string;
    if (FORBIDDEN_SEGMENTS.has(p)) {
      this.emit(`${r} = null;`);
      return;
    }
    const c = this.tmp('c');
    const v = this.tmp('v');
    this.emit(`const ${c} = ${d}.constructor;`);
    this.emit(`if (${c} === O || ${c} === A || hasOwn(${d}, ${q(p)})) {`);
    this.emit(`const ${v} = ${d}[${q(p)}];`);
    this.segValue(v, parts, i, r);
    this.emit('}');
  }

  /** `v` is the value read for segment `i`: the result, or the holder of segment `i + 1`. */
  private segValue(v: string, parts: readonly string[], i: number, r: string): void {
    if (i === parts.length - 1) {
      this.emit(`if (${v} !== undefined && typeof ${v} !== 'function') ${r} = ${v};`);
      return;
    }
    this.emit(`if (${v} != null && typeof ${v} !== 'function') {`);
    this.seg(v, parts, i + 1, r);
    this.emit('}');
  }

  private var(xs: readonly unknown[], sc: Scope): E {
    const ax = xs[0];
    const bx = xs[1];
    const n = xs.length;
    this.step();
    if (n > 0 && !this.isK(ax)) {
      const p = this.gen(ax, sc);
      const b = n > 1 ? this.gen(bx, sc) : this.lit(undefined);
      const r = this.tmp();
      this.emit(`let ${r};`);
      this.withS(`${r} = varValue(${this.data(sc)}, ${p.e}, ${b.e}, s);`);
      return { e: r, t: 'any', k: false };
    }
    const path = n > 0 ? this.kv(ax) : undefined;
    if (path === undefined || path === '' || path === null) {
      if (n > 1 && !this.isK(bx)) this.gen(bx, sc);
      const d = this.data(sc);
      return this.let(`typeof ${d} === 'function' ? null : ${d}`, 'any');
    }
    const parts = varParts(path);
    let nf: string;
    if (n > 1 && !this.isK(bx)) {
      const b = this.gen(bx, sc);
      nf = this.let(`${b.e} === undefined ? null : ${b.e}`, 'any').e;
    } else {
      const dv = n > 1 ? this.kv(bx) : undefined;
      nf = this.lit(dv === undefined ? null : dv).e;
    }
    return this.read(sc, parts, nf);
  }

  /** Inlined `missingPrepared`. */
  private prepared(keys: readonly PreparedKey[], sc: Scope): string {
    const out = this.tmp();
    this.emit(`const ${out} = [];`);
    for (const key of keys) {
      const nf = this.lit(key.notFound).e;
      let v: string;
      if (key.parts === null) {
        const d = this.data(sc);
        v = this.let(`typeof ${d} === 'function' ? ${nf} : ${d}`, 'any').e;
      } else {
        v = this.read(sc, key.parts, nf).e;
      }
      this.emit(`if (${v} === null || ${v} === '') ${out}.push(${this.lit(key.key).e});`);
    }
    return out;
  }

  private missing(xs: readonly unknown[], sc: Scope): E {
    if (xs.every((x) => this.isK(x))) {
      const vals = xs.map((x) => this.kv(x));
      const st = newState(this.cx.lim, undefined, undefined);
      const keys = (Array.isArray(vals[0]) ? (vals[0] as unknown[]) : vals).map((k) => prepareKey(k, st));
      this.step();
      return { e: this.prepared(keys, sc), t: 'any', k: false };
    }
    this.step();
    const vals = xs.map((x) => this.gen(x, sc).e);
    const r = this.tmp();
    this.emit(`let ${r};`);
    this.withS(`${r} = missing(${this.data(sc)}, [${vals.join(', ')}], s);`);
    return { e: r, t: 'any', k: false };
  }

  private missingSome(xs: readonly unknown[], sc: Scope): E {
    const [ax, bx] = xs;
    if (this.isK(ax) && this.isK(bx) && Array.isArray(this.kv(bx))) {
      const need = this.kv(ax);
      const options = this.kv(bx) as unknown[];
      const st = newState(this.cx.lim, undefined, undefined);
      const keys = (Array.isArray(options[0]) ? (options[0] as unknown[]) : options).map((k) =>
        prepareKey(k, st),
      );
      this.step();
      const out = this.prepared(keys, sc);
      return this.let(`${options.length} - ${out}.length >= ${this.lit(need).e} ? [] : ${out}`, 'any');
    }
    this.step();
    const a = this.gen(ax, sc);
    const b = this.gen(bx, sc);
    const r = this.tmp();
    this.emit(`let ${r};`);
    this.withS(`${r} = missingSome(${this.data(sc)}, ${a.e}, ${b.e}, s);`);
    return { e: r, t: 'any', k: false };
  }

  private if(xs: readonly unknown[], sc: Scope): E {
    this.step();
    const n = xs.length;
    const r = this.tmp();
    const label = this.tmp('L');
    this.emit(`let ${r};`);
    this.emit(`${label}: {`);
    const types = new Set<T>();
    const assign = (x: unknown) => {
      const v = this.gen(x, sc);
      types.add(v.t);
      this.emit(`${r} = ${v.e};`);
    };
    let i = 0;
    let done = false;
    for (; i < n - 1; i += 2) {
      const c = this.truthy(this.gen(xs[i], sc));
      if (c === false) continue;
      if (c === true) {
        assign(xs[i + 1]);
        done = true;
        break;
      }
      this.emit(`if (${c}) {`);
      assign(xs[i + 1]);
      this.emit(`break ${label}; }`);
    }
    if (!done) {
      if (n === i + 1) assign(xs[i]);
      else {
        types.add('any');
        this.emit(`${r} = null;`);
      }
    }
    this.emit('}');
    return { e: r, t: types.size === 1 ? ([...types][0] as T) : 'any', k: false };
  }

  private andOr(isAnd: boolean, xs: readonly unknown[], sc: Scope): E {
    this.step();
    const n = xs.length;
    const r = this.tmp();
    const label = this.tmp('L');
    this.emit(`let ${r};`);
    this.emit(`${label}: {`);
    const types = new Set<T>();
    for (let i = 0; i < n; i++) {
      const v = this.gen(xs[i], sc);
      types.add(v.t);
      this.emit(`${r} = ${v.e};`);
      if (i === n - 1) break;
      const t = this.truthy(v);
      if (t === isAnd) continue; // a constant that does not stop: go on
      if (t === !isAnd) break; // a constant that stops here
      this.emit(isAnd ? `if (!${t}) break ${label};` : `if (${t}) break ${label};`);
    }
    this.emit('}');
    return { e: r, t: types.size === 1 ? ([...types][0] as T) : 'any', k: false };
  }

  private looseEq(a: E, b: E, negate: boolean): E {
    const not = negate ? '!' : '';
    const op = negate ? '!=' : '==';
    const isObjK = (x: E) => x.k && typeof x.v === 'object' && x.v !== null;
    const primSide = (x: E) => isPrimT(x.t) || (x.k && !isObjK(x));
    if (primSide(a) && primSide(b)) return this.let(`${a.e} ${op} ${b.e}`, 'bool');
    const r = this.tmp();
    this.emit(`let ${r};`);
    let cond: string;
    if (primSide(b)) cond = `typeof ${a.e} === 'object' && ${a.e} !== null`;
    else if (primSide(a)) cond = `typeof ${b.e} === 'object' && ${b.e} !== null`;
    else
      cond = `(typeof ${a.e} === 'object' && ${a.e} !== null) || (typeof ${b.e} === 'object' && ${b.e} !== null)`;
    this.emit(`if (${cond}) {`);
    this.withS(`${r} = ${not}looseEq(${a.e}, ${b.e}, s);`);
    this.emit(`} else ${r} = ${a.e} ${op} ${b.e};`);
    return { e: r, t: 'bool', k: false };
  }

  private in(xs: readonly unknown[], sc: Scope): E {
    this.step();
    const [ax, bx] = xs;
    const a = this.gen(ax, sc);
    if (this.isK(bx)) {
      const hay = this.kv(bx);
      if (Array.isArray(hay)) {
        const simple =
          hay.every((e) => e === null || (typeof e !== 'object' && typeof e !== 'function')) &&
          !hay.some((e) => Number.isNaN(e));
        if (!simple) return this.let(`${this.kref(hay)}.indexOf(${a.e}) !== -1`, 'bool');
        if (hay.length === 0) return this.let('false', 'bool');
        if (hay.length <= 8) {
          const terms = [...new Set(hay)].map((e) => `${a.e} === ${this.lit(e).e}`);
          return this.let(terms.join(' || '), 'bool');
        }
        return this.let(`${this.kref(new Set(hay))}.has(${a.e})`, 'bool');
      }
      if (typeof hay === 'string' && hay !== '') {
        const p = this.prim(a);
        return this.let(`${q(hay)}.indexOf(${p.e}) !== -1`, 'bool');
      }
      return this.let('false', 'bool');
    }
    const b = this.gen(bx, sc);
    const r = this.tmp();
    this.emit(`let ${r} = false;`);
    this.emit(`if (${b.e}) {`);
    this.emit(`if (typeof ${b.e} === 'string') {`);
    const p = this.prim(a);
    this.emit(`${r} = ${b.e}.indexOf(${p.e}) !== -1;`);
    this.emit(`} else if (isArray(${b.e})) ${r} = ${b.e}.indexOf(${a.e}) !== -1;`);
    this.emit('}');
    return { e: r, t: 'bool', k: false };
  }

  private cat(xs: readonly unknown[], sc: Scope): E {
    this.step();
    const vals = xs.map((x) => this.gen(x, sc));
    const o = this.tmp();
    this.emit(`let ${o} = '';`);
    for (const v of vals) {
      if (v.k && (v.v === null || v.v === undefined)) continue;
      if (v.t === 'str') this.emit(`${o} += ${v.e};`);
      else if (v.k && typeof v.v !== 'object') this.emit(`${o} += ${q(String(v.v))};`);
      else {
        this.emit(`if (typeof ${v.e} === 'string') ${o} += ${v.e};`);
        this.emit(`else if (${v.e} != null && typeof ${v.e} !== 'function') {`);
        this.emit(`if (isArray(${v.e})) {`);
        this.withS(`${o} += joinArray(${v.e}, s);`);
        this.emit(`} else ${o} += str(${v.e});`);
        this.emit('}');
      }
      this.emit(`if (${o}.length > ${this.MAXS}) sizeLimit('string', ${o}.length, ${this.MAXS});`);
    }
    this.checkString(o);
    return { e: o, t: 'str', k: false };
  }

  private substr(xs: readonly unknown[], sc: Scope): E {
    this.step();
    const a = this.gen(xs[0], sc);
    const b = this.gen(xs[1], sc);
    const c = xs.length > 2 ? this.gen(xs[2], sc) : this.lit(undefined);
    const src = this.prim(a);
    const srcS = src.t === 'str' ? src.e : this.let(`str(${src.e})`, 'str').e;
    const st = this.prim(b);
    const en = this.prim(c);
    const r = this.tmp();
    this.emit(`let ${r};`);
    const neg = `{ const ${r}s = ${srcS}.substr(${st.e}); ${r} = ${r}s.substr(0, ${r}s.length + ${en.e}); }`;
    const pos = `${r} = ${srcS}.substr(${st.e}, ${en.e});`;
    if (en.k && !Array.isArray(en.v)) this.emit((en.v as number) < 0 ? neg : pos);
    else this.emit(`if (${en.e} < 0) ${neg} else ${pos}`);
    this.checkString(r);
    return { e: r, t: 'str', k: false };
  }

  /** Generates `body` into its own list of lines (a loop body). */
  private block(f: () => void): string[] {
    const saved = this.lines;
    this.lines = [];
    try {
      f();
      return this.lines;
    } finally {
      this.lines = saved;
    }
  }

  /** A variable holding `x` (a literal cannot take `.length` or `[i]`). */
  private variable(x: E): E {
    return x.k && !x.e.startsWith('k') ? this.let(x.e, x.t) : x;
  }

  private iterate(op: string, xs: readonly unknown[], sc: Scope): E {
    this.step();
    const arr = this.variable(this.gen(xs[0], sc));
    const r = this.tmp();
    const i = this.tmp('i');
    const e = this.tmp('e');
    const len = `${arr.e}.length`;
    const loop = (inner: (body: E) => void) => {
      this.emit(`for (let ${i} = 0; ${i} < ${len}; ${i}++) {`);
      this.step();
      this.emit(`const ${e} = ${arr.e}[${i}];`);
      inner(this.gen(xs[1], { d: e }));
      this.emit('}');
    };
    this.emit(`let ${r};`);
    switch (op) {
      case 'map':
        this.emit(`if (!isArray(${arr.e})) ${r} = []; else {`);
        this.checkArrayLength(len);
        this.emit(`${r} = [];`);
        loop((b) => this.emit(`${r}.push(${b.e});`));
        this.emit('}');
        return { e: r, t: 'any', k: false };
      case 'filter':
        this.emit(`if (!isArray(${arr.e})) ${r} = []; else {`);
        this.emit(`${r} = [];`);
        loop((b) => this.emit(`if (${this.truthyCode(b)}) ${r}.push(${e});`));
        this.checkArrayLength(`${r}.length`);
        this.emit('}');
        return { e: r, t: 'any', k: false };
      default: {
        // all: false on empty, stops at the first falsy; none/some: stop at the first truthy.
        const empty = op === 'none' ? 'true' : 'false';
        const full = op === 'some' ? 'false' : 'true';
        this.emit(`if (!isArray(${arr.e}) || ${len} === 0) ${r} = ${empty}; else {`);
        this.emit(`${r} = ${full};`);
        loop((b) => {
          const t = this.truthyCode(b);
          this.emit(
            `if (${op === 'all' ? `!${t}` : t}) { ${r} = ${op === 'some' ? 'true' : 'false'}; break; }`,
          );
        });
        this.emit('}');
        return { e: r, t: 'bool', k: false };
      }
    }
  }

  private reduce(xs: readonly unknown[], sc: Scope): E {
    this.step();
    const arr = this.variable(this.gen(xs[0], sc));
    const initial = xs.length > 2 ? this.gen(xs[2], sc) : this.lit(null);
    const acc = this.tmp();
    const i = this.tmp('i');
    const cur = this.tmp('e');
    const obj = this.tmp('o');
    this.emit(`let ${acc} = ${initial.e};`);
    this.emit(`if (isArray(${arr.e})) {`);
    this.emit(`for (let ${i} = 0; ${i} < ${arr.e}.length; ${i}++) {`);
    this.step();
    this.emit(`const ${cur} = ${arr.e}[${i}];`);
    const red = { cur, acc, need: false };
    let result = '';
    const body = this.block(() => {
      result = this.gen(xs[1], { d: obj, red }).e;
    });
    if (red.need) this.emit(`const ${obj} = { current: ${cur}, accumulator: ${acc} };`);
    for (const l of body) this.emit(l);
    this.emit(`${acc} = ${result};`);
    this.emit('}');
    this.emit('}');
    return { e: acc, t: 'any', k: false };
  }

  /** The source of the factory: `(k, rt) => (d, s) => value`. */
  finish(rule: unknown): { body: string; consts: unknown[] } {
    const root = this.gen(rule, { d: 'd' });
    const body = this.lines;
    const code = `${body.join('\n')}\nreturn ${root.e};`;
    // Bind the runtime helpers used (a name inside a string literal only binds one more).
    const used = RT_NAMES.filter((name) => new RegExp(`\\b${name}\\b`).test(code));
    if (code.includes('S()')) used.push('newState');
    const head = [
      '"use strict";',
      used.length > 0 ? `const {${[...new Set(used)].join(', ')}} = rt;` : '',
      code.includes('S()') ? 'const S = () => newState(k[0], undefined, undefined);' : '',
      ...this.consts.map((_, i) => (new RegExp(`\\bk${i}\\b`).test(code) ? `const k${i} = k[${i}];` : '')),
    ].filter((l) => l !== '');
    // Parenthesised: V8 compiles the function eagerly (it runs right away) instead of parsing it twice.
    const fn = `return (function rule(d, s) {\nlet n = 0;\n${code}\n});`;
    return { body: `${head.join('\n')}\n${fn}`, consts: this.consts };
  }
}

/**
 * Generates the function of `rule` (already validated and compiled to closures with `memo`).
 * Returns undefined when code generation is unavailable or fails (the caller keeps the closures).
 */
export function generateRule(
  rule: unknown,
  cx: CompileContext,
  memo: ReadonlyMap<unknown, C>,
): GeneratedRule | undefined {
  if (!codegenAvailable()) return undefined;
  try {
    const g = new Gen(memo, cx);
    const { body, consts } = g.finish(rule);
    const factory = new Function('k', 'rt', body) as (k: unknown[], rt: typeof RT) => GeneratedFn;
    const fn = factory(consts, RT);
    codegenStats.generated++;
    return { fn, needsEnv: g.needsEnv, source: body };
  } catch (e) {
    codegenStats.fallbacks++;
    codegenStats.lastError = e;
    return undefined;
  }
}
