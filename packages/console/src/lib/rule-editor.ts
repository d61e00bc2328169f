/**
 * The rule editor's text logic: problems placed at their lines, the picker's insertion, and the
 * sample contexts of "Try it".
 */
import { lineOfPath, parseJson, stripRoot } from './json-text.js';
import type { RuleContextVariable } from './rule-context.js';

export interface EditorProblem {
  kind: 'error' | 'warning';
  /** 1-based; null when the path cannot be placed in the text. */
  line: number | null;
  /** The JSON path as the API names it (`condition.and[0].var`); absent for a syntax error. */
  path?: string;
  message: string;
  /** The API's "did you mean". */
  suggestion?: string;
  /** The API's code: `unknown_path` (a variable outside the context), `unknown_operator`, ... */
  code?: string;
}

export interface ApiProblem {
  path: string;
  message: string;
  suggestion?: string;
  code?: string;
}

/**
 * The API's problems (validate names paths from `$`, create/update from `condition`/`quantity`)
 * as editor problems at their lines of `text`, sorted by line.
 */
export function placeProblems(
  text: string,
  root: 'condition' | 'quantity',
  errors: readonly ApiProblem[],
  warnings: readonly ApiProblem[],
): EditorProblem[] {
  const place =
    (kind: EditorProblem['kind']) =>
    (p: ApiProblem): EditorProblem => ({
      kind,
      line: lineOfPath(text, p.path, ['$', root]),
      path: p.path,
      message: p.message,
      ...(p.suggestion === undefined ? {} : { suggestion: p.suggestion }),
      ...(p.code === undefined ? {} : { code: p.code }),
    });
  return [...errors.map(place('error')), ...warnings.map(place('warning'))].sort(
    (a, b) => (a.line ?? 0) - (b.line ?? 0),
  );
}

/** The problems of the API's answer that belong to `root` (`condition.x`, `condition[">"]`). */
export function problemsUnder<T extends { path: string }>(problems: readonly T[], root: string): T[] {
  return problems.filter(
    (p) => p.path === root || p.path.startsWith(`${root}.`) || p.path.startsWith(`${root}[`),
  );
}

/** A syntax error of the text as a problem, or null when it is JSON (an empty text is `empty`). */
export function syntaxProblem(text: string): EditorProblem | null {
  const parsed = parseJson(text);
  if (parsed.ok) return null;
  return {
    kind: 'error',
    line: parsed.error.line,
    message: `JSON syntax: ${parsed.error.message} (line ${parsed.error.line}, column ${parsed.error.column})`,
  };
}

/**
 * What the picker inserts for a variable: `{"var":"event.amount"}`; for an object (`customer.attributes`)
 * a placeholder key, selected so that typing replaces it.
 */
export function varSnippet(v: Pick<RuleContextVariable, 'path' | 'type'>): {
  snippet: string;
  select: [number, number] | null;
} {
  if (!v.type.startsWith('object')) return { snippet: `{"var": "${v.path}"}`, select: null };
  const head = `{"var": "${v.path}.`;
  return { snippet: `${head}key"}`, select: [head.length, head.length + 3] };
}

/** `text` with `snippet` replacing the selection [start, end), and where the cursor goes after it. */
export function insertAt(
  text: string,
  start: number,
  end: number,
  snippet: string,
): { text: string; cursor: number } {
  const s = Math.max(0, Math.min(start, text.length));
  const e = Math.max(s, Math.min(end, text.length));
  return { text: text.slice(0, s) + snippet + text.slice(e), cursor: s + snippet.length };
}

/**
 * `text` with the misspelt variable the warning at `path` names replaced by its suggestion (the
 * string value at that path), or null when the path does not name a string in the text.
 */
export function applySuggestion(
  text: string,
  root: 'condition' | 'quantity',
  path: string,
  suggestion: string,
): string | null {
  const parsed = parseJson(text);
  if (!parsed.ok) return null;
  const offset = parsed.positions.get(stripRoot(path, ['$', root]));
  if (offset === undefined || text[offset] !== '"') return null;
  const end = text.indexOf('"', offset + 1);
  if (end === -1 || text.slice(offset, end + 1).includes('\\')) return null;
  return `${text.slice(0, offset)}${JSON.stringify(suggestion)}${text.slice(end + 1)}`;
}

/** The sample contexts "Try it" starts from: `{ event, customer, now }` as a rule sees them. */
export function sampleContext(kind: 'purchase' | 'visit', currency: string): string {
  const event =
    kind === 'purchase'
      ? {
          type: 'purchase',
          amount: 2500,
          currency,
          channel: 'pos',
          store_id: 'main',
          items: [{ sku: 'LATTE', qty: 2, price: 1250 }],
        }
      : { type: 'visit', channel: 'pos', store_id: 'main' };
  return JSON.stringify(
    {
      event,
      customer: {
        tags: ['regular'],
        attributes: {},
        status: 'active',
        stats: { counts: { visit: 4, purchase: 3 }, total_spend: 12000, points_balance: 150 },
      },
      now: { date: '2026-12-05', hour: 9, minute: 30, dow: 6 },
    },
    null,
    2,
  );
}
