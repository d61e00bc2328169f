export interface Arity {
  min: number;
  max: number;
}

const any = (min = 0): Arity => ({ min, max: Number.POSITIVE_INFINITY });
const exactly = (n: number): Arity => ({ min: n, max: n });
const between = (min: number, max: number): Arity => ({ min, max });

/** The standard operators of json-logic-js 2.0.5 (without `log` and `method`) and the arity we accept. */
export const STANDARD_OPERATORS: ReadonlyMap<string, Arity> = new Map<string, Arity>([
  ['var', between(0, 2)],
  ['missing', any()],
  ['missing_some', exactly(2)],
  ['if', any(1)],
  ['?:', any(1)],
  ['==', exactly(2)],
  ['===', exactly(2)],
  ['!=', exactly(2)],
  ['!==', exactly(2)],
  ['!', exactly(1)],
  ['!!', exactly(1)],
  ['or', any(1)],
  ['and', any(1)],
  ['>', exactly(2)],
  ['>=', exactly(2)],
  ['<', between(2, 3)],
  ['<=', between(2, 3)],
  ['max', any(1)],
  ['min', any(1)],
  ['+', any()],
  ['-', between(1, 2)],
  ['*', any(1)],
  ['/', exactly(2)],
  ['%', exactly(2)],
  ['in', exactly(2)],
  ['cat', any()],
  ['substr', between(2, 3)],
  ['merge', any()],
  ['map', exactly(2)],
  ['filter', exactly(2)],
  ['reduce', between(2, 3)],
  ['all', exactly(2)],
  ['none', exactly(2)],
  ['some', exactly(2)],
]);

/** Our own operators, built into every engine. */
export const OWN_OPERATORS: ReadonlyMap<string, Arity> = new Map<string, Arity>([
  ['floor', exactly(1)],
  ['ceil', exactly(1)],
  ['round', exactly(1)],
  ['abs', exactly(1)],
  ['days_since', exactly(1)],
  ['days_until_anniversary', exactly(1)],
  ['time_between', exactly(2)],
]);

/** Operators whose second argument is evaluated once per array element, with the element as data. */
export const ITERATION_OPERATORS: ReadonlySet<string> = new Set([
  'map',
  'filter',
  'reduce',
  'all',
  'none',
  'some',
]);

export const KNOWN_ROOTS: readonly string[] = ['event', 'customer', 'tenant', 'now'];

const IDENT = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/** Appends a key or index to a rule path (see RuleProblem.path). */
export function childPath(base: string, key: string | number): string {
  if (typeof key === 'number') return `${base}[${key}]`;
  return IDENT.test(key) ? `${base}.${key}` : `${base}[${JSON.stringify(key)}]`;
}

/** json-logic-js's test for "this object is an operation". */
export function isLogic(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x) && Object.keys(x).length === 1;
}

export function editDistance(a: string, b: string): number {
  if (a === b) return 0;
  const prev = new Array<number>(b.length + 1);
  for (let j = 0; j <= b.length; j++) prev[j] = j;
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0] as number;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = prev[j] as number;
      prev[j] = Math.min(
        (prev[j] as number) + 1,
        (prev[j - 1] as number) + 1,
        diag + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
      diag = tmp;
    }
  }
  return prev[b.length] as number;
}

/** The candidate closest to `word`, if close enough to be a plausible typo. */
export function closest(word: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestD = Number.POSITIVE_INFINITY;
  const limit = Math.max(2, Math.floor(word.length / 3));
  for (const c of candidates) {
    const d = editDistance(word.toLowerCase(), c.toLowerCase());
    if (d < bestD) {
      bestD = d;
      best = c;
    }
  }
  return bestD <= limit ? best : undefined;
}
