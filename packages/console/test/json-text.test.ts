import { describe, expect, it } from 'vitest';
import { childPath, lineAndColumn, lineOfPath, parentPath, parseJson } from '../src/lib/json-text.js';

const condition = `{
  "and": [
    { ">=": [{ "var": "event.ammount" }, 1500] },
    { "==": [{ "var": "event.currency" }, "GHS"] }
  ]
}`;

describe('parseJson', () => {
  it('parses what JSON.parse parses, recording where each value starts', () => {
    const parsed = parseJson(condition);
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    expect(parsed.value).toEqual(JSON.parse(condition));
    expect(parsed.positions.get('')).toBe(0);
    expect(lineAndColumn(condition, parsed.positions.get('and[1]["=="][1]') ?? -1)).toEqual({
      line: 4,
      column: 43,
    });
  });

  it.each([
    ['{"a": 1,}', 1, 'expected a key'],
    ['{\n  "a": [1, 2\n}', 3, 'expected "," or "]"'],
    ['{\n  "var": "x\n}', 2, 'cannot span lines'],
    ['', 1, 'expected a value'],
    ['true false', 1, 'after the value'],
    ["{'a': 1}", 1, 'double quotes'],
    ['{"a": "\\q"}', 1, 'bad escape'],
  ])('answers a syntax error in %j with its line', (text, line, message) => {
    const parsed = parseJson(text);
    expect(parsed.ok).toBe(false);
    if (parsed.ok) return;
    expect(parsed.error.line).toBe(line);
    expect(parsed.error.message).toContain(message);
  });

  it('reads escapes, numbers and literals like JSON.parse', () => {
    const text = '{"s": "a\\"b\\u00e9\\n", "n": [-1.5e3, 0, 12], "l": [true, false, null], "o": {}}';
    const parsed = parseJson(text);
    expect(parsed.ok && parsed.value).toEqual(JSON.parse(text));
  });
});

describe('lineOfPath', () => {
  it('finds the line of a path as the API names it, with or without the root', () => {
    const roots = ['$', 'condition'];
    expect(lineOfPath(condition, 'condition.and[0][">="][0].var', roots)).toBe(3);
    expect(lineOfPath(condition, '$.and[1]["=="][0].var', roots)).toBe(4);
    expect(lineOfPath(condition, 'and[1]["=="][0].var')).toBe(4);
    expect(lineOfPath(condition, 'condition', roots)).toBe(1);
    expect(lineOfPath('{\n  ">": [1, 2]\n}', 'condition[">"][1]', roots)).toBe(2);
  });

  it('falls back to the nearest enclosing value the text has', () => {
    expect(lineOfPath(condition, 'condition.and[1]["=="][7]', ['condition'])).toBe(4);
    expect(lineOfPath(condition, 'condition.nothing.here', ['condition'])).toBe(1);
  });

  it('is null when the text is not JSON', () => {
    expect(lineOfPath('{', 'condition', ['condition'])).toBeNull();
  });

  it('builds and takes apart paths the way the API writes them', () => {
    expect(childPath('', 'and')).toBe('and');
    expect(childPath('and', 0)).toBe('and[0]');
    expect(childPath('and[0]', '>=')).toBe('and[0][">="]');
    expect(parentPath('and[0][">="]')).toBe('and[0]');
    expect(parentPath('a["x.y"].var')).toBe('a["x.y"]');
    expect(parentPath('and')).toBe('');
    expect(parentPath('')).toBeNull();
  });
});
