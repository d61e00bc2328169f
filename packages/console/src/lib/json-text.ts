/**
 * JSON text as the rule editor's textareas hold it: parsed with the position of every value, so a
 * syntax error and each problem the API names by its JSON path (`condition.and[0][">="][0].var`)
 * can be shown at its line.
 */

export interface JsonSyntaxError {
  message: string;
  /** 1-based. */
  line: number;
  column: number;
}

export type JsonParse =
  | { ok: true; value: unknown; positions: Map<string, number> }
  | { ok: false; error: JsonSyntaxError };

/** The 1-based line and column of `offset` in `text`. */
export function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let start = 0;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text[i] === '\n') {
      line++;
      start = i + 1;
    }
  }
  return { line, column: offset - start + 1 };
}

/** The path of a child: `a.b` for a plain key, `a["b c"]` / `a[">="]` otherwise, `a[0]` for an index. */
export function childPath(parent: string, key: string | number): string {
  if (typeof key === 'number') return `${parent}[${key}]`;
  if (/^[A-Za-z_$][A-Za-z0-9_$]*$/.test(key)) return parent === '' ? key : `${parent}.${key}`;
  return `${parent}[${JSON.stringify(key)}]`;
}

class Fail extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(message);
  }
}

/**
 * Parses `text` as JSON, recording the offset where each value starts under its path (the root is
 * `''`). A syntax error answers its message, line and column instead of throwing.
 */
export function parseJson(text: string): JsonParse {
  const positions = new Map<string, number>();
  let i = 0;
  const ws = () => {
    while (i < text.length && ' \t\n\r'.includes(text[i] as string)) i++;
  };
  const describe = () => (i >= text.length ? 'the end of the text' : `"${text[i]}"`);
  const expect = (char: string) => {
    ws();
    if (text[i] !== char) throw new Fail(`expected "${char}" but found ${describe()}`, i);
    i++;
  };
  const string = (): string => {
    const start = i;
    i++; // the opening quote
    let out = '';
    while (i < text.length) {
      const c = text[i] as string;
      if (c === '"') {
        i++;
        return out;
      }
      if (c === '\n') throw new Fail('a string cannot span lines (missing closing quote?)', i);
      if (c === '\\') {
        const e = text[i + 1];
        const simple: Record<string, string> = {
          '"': '"',
          '\\': '\\',
          '/': '/',
          b: '\b',
          f: '\f',
          n: '\n',
          r: '\r',
          t: '\t',
        };
        if (e !== undefined && e in simple) {
          out += simple[e];
          i += 2;
        } else if (e === 'u' && /^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) {
          out += String.fromCharCode(Number.parseInt(text.slice(i + 2, i + 6), 16));
          i += 6;
        } else {
          throw new Fail('a bad escape in a string', i);
        }
        continue;
      }
      out += c;
      i++;
    }
    throw new Fail('a string is not closed', start);
  };
  const value = (path: string): unknown => {
    ws();
    positions.set(path, i);
    const c = text[i];
    if (c === '{') {
      i++;
      const out: Record<string, unknown> = {};
      ws();
      if (text[i] === '}') {
        i++;
        return out;
      }
      for (;;) {
        ws();
        if (text[i] !== '"') throw new Fail(`expected a key in double quotes but found ${describe()}`, i);
        const key = string();
        expect(':');
        out[key] = value(childPath(path, key));
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === '}') {
          i++;
          return out;
        }
        throw new Fail(`expected "," or "}" but found ${describe()}`, i);
      }
    }
    if (c === '[') {
      i++;
      const out: unknown[] = [];
      ws();
      if (text[i] === ']') {
        i++;
        return out;
      }
      for (;;) {
        out.push(value(childPath(path, out.length)));
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === ']') {
          i++;
          return out;
        }
        throw new Fail(`expected "," or "]" but found ${describe()}`, i);
      }
    }
    if (c === '"') return string();
    const literal = /^(?:true|false|null|-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?)/.exec(text.slice(i));
    if (literal === null) throw new Fail(`expected a value but found ${describe()}`, i);
    i += literal[0].length;
    return JSON.parse(literal[0]);
  };
  try {
    const result = value('');
    ws();
    if (i < text.length) throw new Fail(`unexpected ${describe()} after the value`, i);
    return { ok: true, value: result, positions };
  } catch (error) {
    if (!(error instanceof Fail)) throw error;
    const { line, column } = lineAndColumn(text, error.offset);
    return { ok: false, error: { message: error.message, line, column } };
  }
}

/**
 * `path` without the first of `roots` it starts with: the API names a place in a condition as
 * `$.and[0].var` (validate) or `condition.and[0].var` (create and update).
 */
export function stripRoot(path: string, roots: readonly string[]): string {
  for (const root of roots) {
    if (path === root) return '';
    if (path.startsWith(`${root}.`)) return path.slice(root.length + 1);
    if (path.startsWith(`${root}[`)) return path.slice(root.length);
  }
  return path;
}

/**
 * The line of `path` (as the API names it, e.g. `condition.and[0][">="][0].var`, its `roots`
 * stripped) in `text`: its own line, or that of the nearest enclosing value the text has.
 */
export function lineOfPath(text: string, path: string, roots: readonly string[] = []): number | null {
  const parsed = parseJson(text);
  if (!parsed.ok) return null;
  const rest = stripRoot(path, roots);
  for (let candidate: string | null = rest; candidate !== null; candidate = parentPath(candidate)) {
    const offset = parsed.positions.get(candidate);
    if (offset !== undefined) return lineAndColumn(text, offset).line;
  }
  return null;
}

/** `a.b[0]` → `a.b`, `a.b` → `a`, `a` → `''`, `''` → null. */
export function parentPath(path: string): string | null {
  if (path === '') return null;
  const bracket = /\[(?:\d+|"(?:[^"\\]|\\.)*")\]$/.exec(path);
  if (bracket !== null) return path.slice(0, bracket.index);
  const dot = path.lastIndexOf('.');
  return dot === -1 ? '' : path.slice(0, dot);
}
