import { readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join, relative } from 'node:path';
import { isMap, isScalar, isSeq, LineCounter, type Node, parseDocument } from 'yaml';

/** Extensions of definition files (rules, rewards, budgets, campaigns, customers, fixtures). */
export const DOC_EXTENSIONS = ['.json', '.yaml', '.yml'];

export type JsonPath = Array<string | number>;

/** A parsed JSON or YAML file, able to point at the line of any JSON path inside it. */
export interface Doc {
  file: string;
  /** The file as shown to the user (relative to the working directory). */
  shown: string;
  content: unknown;
  /** `line:col` (1-based) of the value at `path`, or of its nearest existing parent. */
  locate(path: JsonPath): { line: number; col: number } | undefined;
}

export type DocResult = { ok: true; doc: Doc } | { ok: false; shown: string; message: string; line?: number };

export function shownPath(file: string, cwd = process.cwd()): string {
  const rel = relative(cwd, file);
  return rel === '' || rel.startsWith('..') ? file : rel;
}

/** Every definition file under `target` (a file, or a directory searched recursively), sorted. */
export function docFiles(target: string, extensions = DOC_EXTENSIONS): string[] {
  if (!statSync(target).isDirectory()) return [target];
  return readdirSync(target, { recursive: true, encoding: 'utf8' })
    .filter((name) => extensions.includes(extname(name).toLowerCase()))
    .map((name) => join(target, name))
    .filter((file) => statSync(file).isFile())
    .sort();
}

/** Reads a `.json`, `.yaml` or `.yml` file. JSON is parsed strictly; YAML as YAML 1.2. */
export function readDoc(file: string, cwd = process.cwd()): DocResult {
  const shown = shownPath(file, cwd);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    return { ok: false, shown, message: `cannot read the file: ${(error as Error).message}` };
  }
  const isJson = extname(file).toLowerCase() === '.json';
  const lines = new LineCounter();
  // YAML 1.2 is a superset of JSON: the YAML parse locates paths in JSON files too.
  const yamlDoc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  let content: unknown;
  if (isJson) {
    try {
      content = JSON.parse(text);
    } catch (error) {
      return { ok: false, shown, message: `not valid JSON: ${(error as Error).message}` };
    }
  } else {
    const first = yamlDoc.errors[0];
    if (first !== undefined) {
      const at = lines.linePos(first.pos[0]);
      return { ok: false, shown, message: `not valid YAML: ${first.message.split('\n')[0]}`, line: at.line };
    }
    content = yamlDoc.toJS({ maxAliasCount: 100 });
  }
  const locate = (path: JsonPath) => {
    if (yamlDoc.errors.length > 0) return undefined;
    for (let n = path.length; n >= 0; n--) {
      const node = nodeAt(yamlDoc.contents as Node | null, path.slice(0, n));
      if (node?.range) {
        const pos = lines.linePos(node.range[0]);
        return { line: pos.line, col: pos.col };
      }
    }
    return undefined;
  };
  return { ok: true, doc: { file, shown, content, locate } };
}

function nodeAt(root: Node | null, path: JsonPath): Node | undefined {
  let node: Node | null | undefined = root;
  for (const key of path) {
    if (node === null || node === undefined) return undefined;
    if (isMap(node)) {
      const pair: { key: unknown; value: unknown } | undefined = node.items.find(
        (p) => (isScalar(p.key) ? String(p.key.value) : String(p.key)) === String(key),
      );
      node = (pair?.value as Node | null | undefined) ?? (pair?.key as Node | undefined);
      if (pair !== undefined && (pair.value === null || pair.value === undefined)) return pair.key as Node;
    } else if (isSeq(node)) {
      node = node.items[Number(key)] as Node | undefined;
    } else {
      return undefined;
    }
  }
  return node ?? undefined;
}

/** `caps[0].max`, `condition.and[1]`: a JSON path as people read it. */
export function formatPath(path: JsonPath): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) out += out === '' ? key : `.${key}`;
    else out += `[${JSON.stringify(key)}]`;
  }
  return out === '' ? '$' : out;
}

/** Parses a path of the rules package (`$.and[1].var`, `$["<="][0]`) into keys. */
export function parseRulePath(path: string): JsonPath {
  const out: JsonPath = [];
  const re = /\.([A-Za-z_$][\w$]*)|\[(\d+)\]|\[("(?:[^"\\]|\\.)*")\]/g;
  for (const m of path.replace(/^\$/, '').matchAll(re)) {
    if (m[1] !== undefined) out.push(m[1]);
    else if (m[2] !== undefined) out.push(Number(m[2]));
    else if (m[3] !== undefined) out.push(JSON.parse(m[3]) as string);
  }
  return out;
}
