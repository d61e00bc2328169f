import { childPath, isLogic } from './ops.js';
import {
  cat,
  checkArrayLength,
  deepFreeze,
  FORBIDDEN_SEGMENTS,
  hasOwn,
  inOp,
  lookup,
  lookupClean,
  looseEq,
  merge,
  minMax,
  missing,
  missingPrepared,
  missingSome,
  newState,
  pf,
  prepareKey,
  prim,
  type State,
  stepLimit,
  substr,
  isTruthy as truthy,
  varValue,
} from './runtime.js';
import { daysSince, daysUntilAnniversary, resolveEnv, timeBetween } from './time.js';
import type { CustomOperator, ExplainNode, RuleLimits } from './types.js';

/** A compiled rule. A generated rule without time or custom operators is called with `s` undefined. */
export type Fn = (d: unknown, s: State) => unknown;

/** A compiled node: its closure, and whether it is a constant (then `v` is its value). */
export interface C {
  fn: Fn;
  k: boolean;
  v: unknown;
}

export interface CompileContext {
  lim: RuleLimits;
  custom: ReadonlyMap<string, CustomOperator>;
  /** Explain mode: no constant folding, every node records itself. */
  trace: boolean;
}

/** Operators whose result depends only on their arguments (so constant arguments fold). */
const PURE = new Set([
  'if',
  '?:',
  '==',
  '===',
  '!=',
  '!==',
  '!',
  '!!',
  'or',
  'and',
  '>',
  '>=',
  '<',
  '<=',
  'max',
  'min',
  '+',
  '-',
  '*',
  '/',
  '%',
  'in',
  'cat',
  'substr',
  'merge',
  'map',
  'filter',
  'reduce',
  'all',
  'none',
  'some',
  'floor',
  'ceil',
  'round',
  'abs',
]);

type N = number;

function konst(v: unknown): C {
  return { fn: () => v, k: true, v };
}

function dyn(fn: Fn): C {
  return { fn, k: false, v: undefined };
}

const num = (x: unknown, s: State): number => (typeof x === 'number' ? x : pf(x, s));

export function roundHalfAwayFromZero(x: number): number {
  const r = x < 0 ? -Math.round(-x) : Math.round(x);
  return r === 0 ? 0 : r;
}

/** Records a node of the explain tree around `inner`. */
function opName(x: unknown): string {
  return isLogic(x) ? (Object.keys(x)[0] as string) : Array.isArray(x) ? 'array' : 'literal';
}

function traced(
  inner: Fn,
  op: string,
  path: string,
  childPaths: readonly string[],
  childOps: readonly string[],
): Fn {
  return (d, s) => {
    const parent = s.tr as ExplainNode[];
    const kids: ExplainNode[] = [];
    s.tr = kids;
    let v: unknown;
    try {
      v = inner(d, s);
    } finally {
      s.tr = parent;
    }
    const node: ExplainNode = { op, path, value: v };
    if (childPaths.length > 0) {
      const args: ExplainNode[] = [];
      for (let i = 0; i < childPaths.length; i++) {
        const p = childPaths[i] as string;
        let seen = false;
        for (const k of kids) {
          if (k.path === p) {
            args.push(k);
            seen = true;
          }
        }
        if (!seen && !args.some((a) => a.path === p)) {
          args.push({ op: childOps[i] as string, path: p, value: undefined, skipped: true });
        }
      }
      node.args = args;
    }
    parent.push(node);
    return v;
  };
}

/**
 * Compiles `rule` to a closure. When `memo` is given, the compiled node of every array and
 * operation object of the rule is recorded there (the code generator reads constancy and folded
 * values from it, so that both paths fold exactly the same sub-trees).
 */
export function compileRule(rule: unknown, cx: CompileContext, memo?: Map<unknown, C>): Fn {
  const foldState = newState(cx.lim, undefined, undefined);

  const fold = (c: C, op: string, args: readonly C[]): C => {
    if (cx.trace || !PURE.has(op) || !args.every((a) => a.k)) return c;
    foldState.n = 0;
    try {
      return konst(deepFreeze(c.fn(undefined, foldState)));
    } catch {
      return c; // Throws at run time too (step or size limit, operator error): keep it dynamic.
    }
  };

  const comp = (x: unknown, path: string): C => {
    if (Array.isArray(x)) {
      const parts = x.map((e, i) => comp(e, childPath(path, i)));
      if (!cx.trace && parts.every((p) => p.k)) {
        const folded = konst(deepFreeze(parts.map((p) => p.v)));
        memo?.set(x, folded);
        return folded;
      }
      const fns = parts.map((p) => p.fn);
      const n = fns.length;
      const fn: Fn = (d, s) => {
        if (++s.n > s.max) stepLimit(s);
        const out: unknown[] = [];
        for (let i = 0; i < n; i++) out.push((fns[i] as Fn)(d, s));
        return out;
      };
      const arr = cx.trace
        ? dyn(
            traced(
              fn,
              'array',
              path,
              x.map((_, i) => childPath(path, i)),
              x.map(opName),
            ),
          )
        : dyn(fn);
      memo?.set(x, arr);
      return arr;
    }
    if (!isLogic(x)) {
      if (cx.trace) {
        const v = x;
        return dyn((_d, s) => {
          (s.tr as ExplainNode[]).push({ op: 'literal', path, value: v });
          return v;
        });
      }
      return konst(x);
    }
    const op = Object.keys(x)[0] as string;
    const opPath = childPath(path, op);
    const raw = x[op];
    const rawArgs = Array.isArray(raw) ? raw : [raw];
    const argPaths = rawArgs.map((_, i) => (Array.isArray(raw) ? childPath(opPath, i) : opPath));
    const args = rawArgs.map((a, i) => comp(a, argPaths[i] as string));
    let c = compileOp(op, args, cx);
    c = fold(c, op, args);
    memo?.set(x, c);
    if (cx.trace) c = dyn(traced(c.fn, op, path, argPaths, rawArgs.map(opName)));
    return c;
  };

  return comp(rule, '$').fn;
}

function compileOp(op: string, args: C[], cx: CompileContext): C {
  const n = args.length;
  const fns = args.map((a) => a.fn);
  const A = args[0] as C;
  const B = args[1] as C;
  const a = fns[0] as Fn;
  const b = fns[1] as Fn;
  const c = fns[2] as Fn;

  switch (op) {
    case 'var':
      return compileVar(args);
    case 'missing': {
      if (args.every((x) => x.k)) {
        const vals = args.map((x) => x.v);
        const st = newState(cx.lim, undefined, undefined);
        const keys = (Array.isArray(vals[0]) ? (vals[0] as unknown[]) : vals).map((k) => prepareKey(k, st));
        return dyn((d, s) => {
          if (++s.n > s.max) stepLimit(s);
          return missingPrepared(d, keys);
        });
      }
      return dyn((d, s) => {
        if (++s.n > s.max) stepLimit(s);
        return missing(
          d,
          fns.map((f) => f(d, s)),
          s,
        );
      });
    }
    case 'missing_some':
      if (A.k && B.k && Array.isArray(B.v)) {
        const need = A.v;
        const options = B.v as unknown[];
        const st = newState(cx.lim, undefined, undefined);
        const keys = (Array.isArray(options[0]) ? (options[0] as unknown[]) : options).map((k) =>
          prepareKey(k, st),
        );
        return dyn((d, s) => {
          if (++s.n > s.max) stepLimit(s);
          const areMissing = missingPrepared(d, keys);
          return options.length - areMissing.length >= (need as N) ? [] : areMissing;
        });
      }
      return dyn((d, s) => {
        if (++s.n > s.max) stepLimit(s);
        return missingSome(d, a(d, s), b(d, s), s);
      });
    case 'if':
    case '?:': {
      if (n === 3) {
        const t = fns[1] as Fn;
        const e = fns[2] as Fn;
        return dyn((d, s) => {
          if (++s.n > s.max) stepLimit(s);
          return truthy(a(d, s)) ? t(d, s) : e(d, s);
        });
      }
      return dyn((d, s) => {
        if (++s.n > s.max) stepLimit(s);
        let i = 0;
        for (; i < n - 1; i += 2) {
          if (truthy((fns[i] as Fn)(d, s))) return (fns[i + 1] as Fn)(d, s);
        }
        if (n === i + 1) return (fns[i] as Fn)(d, s);
        return null;
      });
    }
    case 'and':
      if (n === 2)
        return dyn((d, s) => {
          if (++s.n > s.max) stepLimit(s);
          const v = a(d, s);
          return truthy(v) ? b(d, s) : v;
        });
      return dyn((d, s) => {
        if (++s.n > s.max) stepLimit(s);
        let v: unknown;
        for (let i = 0; i < n; i++) {
          v = (fns[i] as Fn)(d, s);
          if (!truthy(v)) return v;
        }
        return v;
      });
    case 'or':
      if (n === 2)
        return dyn((d, s) => {
          if (++s.n > s.max) stepLimit(s);
          const v = a(d, s);
          return truthy(v) ? v : b(d, s);
        });
      return dyn((d, s) => {
        if (++s.n > s.max) stepLimit(s);
        let v: unknown;
        for (let i = 0; i < n; i++) {
          v = (fns[i] as Fn)(d, s);
          if (truthy(v)) return v;
        }
        return v;
      });
    case '!':
      return dyn((d, s) => {
        if (++s.n > s.max) stepLimit(s);
        return !truthy(a(d, s));
      });
    case '!!':
      return dyn((d, s) => {
        if (++s.n > s.max) stepLimit(s);
        return truthy(a(d, s));
      });
    case '==':
      if (B.k && (typeof B.v === 'string' || typeof B.v === 'number')) {
        const k = B.v;
        return dyn((d, s) => {
          if (++s.n > s.max) stepLimit(s);
          const x = a(d, s);
          // biome-ignore lint/suspicious/noDoubleEquals: JsonLogic `==` is loose equality.
          return typeof x === 'object' && x !== null ? looseEq(x, k, s) : x == k;
        });
      }
      return dyn((d, s) => {
        if (++s.n > s.max) stepLimit(s);
        return looseEq(a(d, s), b(d, s), s);
      });
    case '!=':
      return dyn((d, s) => {
        if (++s.n > s.max) stepLimit(s);
        return !looseEq(a(d, s), b(d, s), s);
      });
    case '===':
      if (B.k) {
        const k = B.v;
        return dyn((d, s) => {
          if (++s.n > s.max) stepLimit(s);
          return a(d, s) === k;
        });
      }
      return dyn((d, s) => {
        if (++s.n > s.max) stepLimit(s);
        return a(d, s) === b(d, s);
      });
    case '!==':
      return dyn((d, s) => {
        if (++s.n > s.max) stepLimit(s);
        return a(d, s) !== b(d, s);
      });
    case '>':
      if (B.k && typeof B.v === 'number') {
        const k = B.v;
        return dyn((d, s) => {
          if (++s.n > s.max) stepLimit(s);
          const x = a(d, s);
          return (typeof x === 'number' ? x : (prim(x, s) as N)) > k;
        });
      }
      return dyn((d, s) => {
        if (++s.n > s.max) stepLimit(s);
        const x = prim(a(d, s), s) as N;
        return x > (prim(b(d, s), s) as N);
      });
    case '>=':
      if (B.k && typeof B.v === 'number') {
        const k = B.v;
        return dyn((d, s) => {
          if (++s.n > s.max) stepLimit(s);
          const x = a(d, s);
          return (typeof x === 'number' ? x : (prim(x, s) as N)) >= k;
        });
      }
      return dyn((d, s) => {
        if (++s.n > s.max) stepLimit(s);
        const x = prim(a(d, s), s) as N;
        return x >= (prim(b(d, s), s) as N);
      });
    case '<':
    case '<=': {
      const le = op === '<=';
      if (n === 2) {
        if (B.k && typeof B.v === 'number') {
          const k = B.v;
          return le
            ? dyn((d, s) => {
                if (++s.n > s.max) stepLimit(s);
                const x = a(d, s);
                return (typeof x === 'number' ? x : (prim(x, s) as N)) <= k;
              })
            : dyn((d, s) => {
                if (++s.n > s.max) stepLimit(s);
                const x = a(d, s);
                return (typeof x === 'number' ? x : (prim(x, s) as N)) < k;
              });
        }
        return le
          ? dyn((d, s) => {
              if (++s.n > s.max) stepLimit(s);
              const x = prim(a(d, s), s) as N;
              return x <= (prim(b(d, s), s) as N);
            })
          : dyn((d, s) => {
              if (++s.n > s.max) stepLimit(s);
              const x = prim(a(d, s), s) as N;
              return x < (prim(b(d, s), s) as N);
            });
      }
      return dyn((d, s) => {
        if (++s.n > s.max) stepLimit(s);
        const x = prim(a(d, s), s) as N;
        const y = prim(b(d, s), s) as N;
        const z = c(d, s);
        if (z === undefined) return le ? x <= y : x < y;
        const zz = prim(z, s) as N;
        return le ? x <= y && y <= zz : x < y && y < zz;
      });
    }
    case 'max':
    case 'min': {
      const isMax = op === 'max';
      return dyn((d, s) => {
        if (++s.n > s.max) stepLimit(s);
        return minMax(
          isMax,
          fns.map((f) => f(d, s)),
          s,
        );
      });
    }
    case '+':
      if (n === 1)
        return dyn((d, s) => {
          if (++s.n > s.max) stepLimit(s);
          return 0 + num(a(d, s), s);
        });
      if (n === 2)
        return dyn((d, s) => {
          if (++s.n > s.max) stepLimit(s);
          const x = num(a(d, s), s);
          return 0 + x + num(b(d, s), s);
        });
      return dyn((d, s) => {
        if (++s.n > s.max) stepLimit(s);
        let acc = 0;
        for (let i = 0; i < n; i++) acc += num((fns[i] as Fn)(d, s), s);
        return acc;
      });
    case '*':
      if (n === 1)
        return dyn((d, s) => {
          if (++s.n > s.max) stepLimit(s);
          return a(d, s); // json-logic-js: reduce without an initial value returns the lone argument as is.
        });
      if (n === 2)
        return dyn((d, s) => {
          if (++s.n > s.max) stepLimit(s);
          const x = a(d, s);
          const y = b(d, s);
          return (
            (typeof x === 'number' ? (x === 0 ? 0 : x) : pf(x, s)) *
            (typeof y === 'number' ? (y === 0 ? 0 : y) : pf(y, s))
          );
        });
      return dyn((d, s) => {
        if (++s.n > s.max) stepLimit(s);
        let acc: unknown = a(d, s);
        for (let i = 1; i < n; i++) {
          const y = (fns[i] as Fn)(d, s);
          acc = pf(acc, s) * pf(y, s);
        }
        return acc;
      });
    case '-':
      if (n === 1)
        return dyn((d, s) => {
          if (++s.n > s.max) stepLimit(s);
          return -(prim(a(d, s), s) as N);
        });
      return dyn((d, s) => {
        if (++s.n > s.max) stepLimit(s);
        const x = a(d, s);
        const y = b(d, s);
        if (y === undefined) return -(prim(x, s) as N);
        const xx = prim(x, s) as N;
        return xx - (prim(y, s) as N);
      });
    case '/':
      return dyn((d, s) => {
        if (++s.n > s.max) stepLimit(s);
        const x = prim(a(d, s), s) as N;
        return x / (prim(b(d, s), s) as N);
      });
    case '%':
      if (B.k && typeof B.v === 'number') {
        const k = B.v;
        return dyn((d, s) => {
          if (++s.n > s.max) stepLimit(s);
          const x = a(d, s);
          return (typeof x === 'number' ? x : (prim(x, s) as N)) % k;
        });
      }
      return dyn((d, s) => {
        if (++s.n > s.max) stepLimit(s);
        const x = prim(a(d, s), s) as N;
        return x % (prim(b(d, s), s) as N);
      });
    case 'in':
      return compileIn(A, B);
    case 'cat':
      return dyn((d, s) => {
        if (++s.n > s.max) stepLimit(s);
        return cat(
          fns.map((f) => f(d, s)),
          s,
        );
      });
    case 'substr':
      return dyn((d, s) => {
        if (++s.n > s.max) stepLimit(s);
        return substr(a(d, s), b(d, s), n > 2 ? c(d, s) : undefined, s);
      });
    case 'merge':
      return dyn((d, s) => {
        if (++s.n > s.max) stepLimit(s);
        return merge(
          fns.map((f) => f(d, s)),
          s,
        );
      });
    case 'map':
      return dyn((d, s) => {
        if (++s.n > s.max) stepLimit(s);
        const arr = a(d, s);
        if (!Array.isArray(arr)) return [];
        checkArrayLength(arr.length, s);
        const out: unknown[] = [];
        for (let i = 0; i < arr.length; i++) {
          if (++s.n > s.max) stepLimit(s);
          out.push(b(arr[i], s));
        }
        return out;
      });
    case 'filter':
      return dyn((d, s) => {
        if (++s.n > s.max) stepLimit(s);
        const arr = a(d, s);
        if (!Array.isArray(arr)) return [];
        const out: unknown[] = [];
        for (let i = 0; i < arr.length; i++) {
          if (++s.n > s.max) stepLimit(s);
          const e = arr[i];
          if (truthy(b(e, s))) out.push(e);
        }
        checkArrayLength(out.length, s);
        return out;
      });
    case 'reduce':
      return dyn((d, s) => {
        if (++s.n > s.max) stepLimit(s);
        const arr = a(d, s);
        const initial = n > 2 ? c(d, s) : null;
        if (!Array.isArray(arr)) return initial;
        let acc = initial;
        for (let i = 0; i < arr.length; i++) {
          if (++s.n > s.max) stepLimit(s);
          acc = b({ current: arr[i], accumulator: acc }, s);
        }
        return acc;
      });
    case 'all':
      return dyn((d, s) => {
        if (++s.n > s.max) stepLimit(s);
        const arr = a(d, s);
        if (!Array.isArray(arr) || arr.length === 0) return false;
        for (let i = 0; i < arr.length; i++) {
          if (++s.n > s.max) stepLimit(s);
          if (!truthy(b(arr[i], s))) return false;
        }
        return true;
      });
    case 'none':
      return dyn((d, s) => {
        if (++s.n > s.max) stepLimit(s);
        const arr = a(d, s);
        if (!Array.isArray(arr) || arr.length === 0) return true;
        for (let i = 0; i < arr.length; i++) {
          if (++s.n > s.max) stepLimit(s);
          if (truthy(b(arr[i], s))) return false;
        }
        return true;
      });
    case 'some':
      return dyn((d, s) => {
        if (++s.n > s.max) stepLimit(s);
        const arr = a(d, s);
        if (!Array.isArray(arr) || arr.length === 0) return false;
        for (let i = 0; i < arr.length; i++) {
          if (++s.n > s.max) stepLimit(s);
          if (truthy(b(arr[i], s))) return true;
        }
        return false;
      });
    case 'floor':
      return dyn((d, s) => {
        if (++s.n > s.max) stepLimit(s);
        return Math.floor(num(a(d, s), s));
      });
    case 'ceil':
      return dyn((d, s) => {
        if (++s.n > s.max) stepLimit(s);
        return Math.ceil(num(a(d, s), s));
      });
    case 'round':
      return dyn((d, s) => {
        if (++s.n > s.max) stepLimit(s);
        return roundHalfAwayFromZero(num(a(d, s), s));
      });
    case 'abs':
      return dyn((d, s) => {
        if (++s.n > s.max) stepLimit(s);
        return Math.abs(num(a(d, s), s));
      });
    case 'days_since':
      return dyn((d, s) => {
        if (++s.n > s.max) stepLimit(s);
        return daysSince(a(d, s), s);
      });
    case 'days_until_anniversary':
      return dyn((d, s) => {
        if (++s.n > s.max) stepLimit(s);
        return daysUntilAnniversary(a(d, s), s);
      });
    case 'time_between':
      return dyn((d, s) => {
        if (++s.n > s.max) stepLimit(s);
        return timeBetween(a(d, s), b(d, s), s);
      });
  }
  const custom = cx.custom.get(op);
  if (!custom) throw new Error(`unknown operator ${op}`); // unreachable after validation
  return dyn((d, s) => {
    if (++s.n > s.max) stepLimit(s);
    const vals = fns.map((f) => f(d, s));
    return custom(vals, resolveEnv(s));
  });
}

function compileIn(A: C, B: C): C {
  const a = A.fn;
  const b = B.fn;
  if (B.k) {
    const hay = B.v;
    if (Array.isArray(hay)) {
      const simple =
        hay.every((e) => e === null || (typeof e !== 'object' && typeof e !== 'function')) &&
        !hay.some((e) => Number.isNaN(e));
      if (simple && hay.length >= 6) {
        const set = new Set(hay);
        return dyn((d, s) => {
          if (++s.n > s.max) stepLimit(s);
          return set.has(a(d, s));
        });
      }
      return dyn((d, s) => {
        if (++s.n > s.max) stepLimit(s);
        return hay.indexOf(a(d, s)) !== -1;
      });
    }
  }
  return dyn((d, s) => {
    if (++s.n > s.max) stepLimit(s);
    return inOp(a(d, s), b(d, s), s);
  });
}

function compileVar(args: C[]): C {
  const A = args[0] ?? konst(undefined);
  const B = args[1] ?? konst(undefined);
  const a = A.fn;
  const b = B.fn;
  if (!A.k) {
    return dyn((d, s) => {
      if (++s.n > s.max) stepLimit(s);
      const p = a(d, s);
      return varValue(d, p, b(d, s), s);
    });
  }
  const path = A.v;
  if (path === undefined || path === '' || path === null) {
    return dyn((d, s) => {
      if (++s.n > s.max) stepLimit(s);
      if (!B.k) b(d, s);
      return typeof d === 'function' ? null : d;
    });
  }
  const parts = varParts(path);
  if (!B.k) {
    return dyn((d, s) => {
      if (++s.n > s.max) stepLimit(s);
      const dv = b(d, s);
      return lookup(d, parts, dv === undefined ? null : dv);
    });
  }
  const nf = B.v === undefined ? null : B.v;
  if (parts.some((p) => FORBIDDEN_SEGMENTS.has(p))) {
    return dyn((d, s) => {
      if (++s.n > s.max) stepLimit(s);
      return lookup(d, parts, nf);
    });
  }
  const k0 = parts[0] as string;
  const k1 = parts[1] as string;
  const k2 = parts[2] as string;
  // Inlined `own()` per segment: each property read site stays monomorphic for same-shaped contexts.
  switch (parts.length) {
    case 1:
      return dyn((d, s) => {
        if (++s.n > s.max) stepLimit(s);
        if (d === null || d === undefined) return nf;
        const c0 = (d as R).constructor;
        if (c0 !== Object && c0 !== Array && !hasOwn(d, k0)) return nf;
        const v = (d as R)[k0];
        return v === undefined || typeof v === 'function' ? nf : v;
      });
    case 2:
      return dyn((d, s) => {
        if (++s.n > s.max) stepLimit(s);
        if (d === null || d === undefined) return nf;
        const c0 = (d as R).constructor;
        if (c0 !== Object && c0 !== Array && !hasOwn(d, k0)) return nf;
        const v = (d as R)[k0];
        if (v === null || v === undefined || typeof v === 'function') return nf;
        const c1 = (v as R).constructor;
        if (c1 !== Object && c1 !== Array && !hasOwn(v, k1)) return nf;
        const w = (v as R)[k1];
        return w === undefined || typeof w === 'function' ? nf : w;
      });
    case 3:
      return dyn((d, s) => {
        if (++s.n > s.max) stepLimit(s);
        if (d === null || d === undefined) return nf;
        const c0 = (d as R).constructor;
        if (c0 !== Object && c0 !== Array && !hasOwn(d, k0)) return nf;
        const v = (d as R)[k0];
        if (v === null || v === undefined || typeof v === 'function') return nf;
        const c1 = (v as R).constructor;
        if (c1 !== Object && c1 !== Array && !hasOwn(v, k1)) return nf;
        const w = (v as R)[k1];
        if (w === null || w === undefined || typeof w === 'function') return nf;
        const c2 = (w as R).constructor;
        if (c2 !== Object && c2 !== Array && !hasOwn(w, k2)) return nf;
        const x = (w as R)[k2];
        return x === undefined || typeof x === 'function' ? nf : x;
      });
    default:
      return dyn((d, s) => {
        if (++s.n > s.max) stepLimit(s);
        return lookupClean(d, parts, nf);
      });
  }
}

type R = Record<string, unknown>;

/** The segments of a constant, non-empty `var` path (as json-logic-js splits it). */
export function varParts(path: unknown): string[] {
  return String(prim(path, newState({ ...DEFAULT_JOIN_LIMITS }, undefined, undefined))).split('.');
}

const DEFAULT_JOIN_LIMITS: RuleLimits = {
  maxDepth: 32,
  maxNodes: 2000,
  maxLiteralArrayLength: 1000,
  maxVarPathLength: 256,
  maxSteps: Number.POSITIVE_INFINITY,
  maxArrayLength: 10_000,
  maxStringLength: 100_000,
};
