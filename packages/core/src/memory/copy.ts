/**
 * A deep copy of a stored value. Rows are JSON-like (plain objects, arrays, strings, numbers,
 * booleans, null), so plain objects and arrays are copied by hand, which is several times faster
 * than `structuredClone`; anything else (a `Date`, a `Map`, ...) falls back to `structuredClone`.
 */
export function copy<T>(value: T): T {
  return deep(value) as T;
}

function deep(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map(deep);
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return structuredClone(value);
  const source = value as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(source)) {
    const item = deep(source[key]);
    if (key === '__proto__') {
      Object.defineProperty(out, key, { value: item, enumerable: true, writable: true, configurable: true });
    } else {
      out[key] = item;
    }
  }
  return out;
}
