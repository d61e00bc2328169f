import jsonLogic from 'json-logic-js';
import type { RulesEngine } from '../src/index.js';

/** Both compilation paths: generated JavaScript per rule, and closures (no `new Function`). */
export const MODES = [{ codegen: true }, { codegen: false }] as const;

/** Deep equality where NaN equals NaN and 0 and -0 differ. */
export function sameValue(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    return a.every((x, i) => sameValue(x, b[i]));
  }
  if (typeof a === 'object' && a !== null && typeof b === 'object' && b !== null && !Array.isArray(b)) {
    const ka = Object.keys(a);
    const kb = Object.keys(b);
    if (ka.length !== kb.length) return false;
    return ka.every((k) => Object.hasOwn(b, k) && sameValue((a as never)[k], (b as never)[k]));
  }
  return false;
}

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

function run(f: () => unknown): Outcome {
  try {
    return { ok: true, value: f() };
  } catch (error) {
    return { ok: false, error };
  }
}

export function check(engine: RulesEngine, rule: unknown, data: unknown): void {
  const expected = run(() => jsonLogic.apply(rule as never, data as never));
  const compiled = run(() => engine.compile(rule));
  if (!compiled.ok) throw compiled.error;
  const rule_ = compiled.value as ReturnType<RulesEngine['compile']>;
  const actual = run(() => rule_.evaluate(data));
  if (!expected.ok) {
    if (actual.ok) {
      throw new Error(
        `json-logic-js threw (${String(expected.error)}) but ours returned ${String(actual.value)}\nrule: ${JSON.stringify(rule)}\ndata: ${JSON.stringify(data)}`,
      );
    }
    return;
  }
  if (!actual.ok) {
    throw new Error(
      `ours threw ${String(actual.error)} but json-logic-js returned ${JSON.stringify(expected.value)}\nrule: ${JSON.stringify(rule)}\ndata: ${JSON.stringify(data)}`,
    );
  }
  if (!sameValue(actual.value, expected.value)) {
    throw new Error(
      `mismatch: ours ${JSON.stringify(actual.value)} (${String(actual.value)}), json-logic-js ${JSON.stringify(expected.value)} (${String(expected.value)})\nrule: ${JSON.stringify(rule)}\ndata: ${JSON.stringify(data)}`,
    );
  }
  // explain must agree with evaluate.
  const explained = run(() => rule_.explain(data).value);
  if (!explained.ok || !sameValue(explained.value, actual.value)) {
    throw new Error(`explain disagrees with evaluate for ${JSON.stringify(rule)}`);
  }
}
