import { describe, expect, it } from 'vitest';
import { parseJson } from '../src/lib/json-text.js';
import { RULE_CONTEXT_VARIABLES } from '../src/lib/rule-context.js';
import {
  applySuggestion,
  insertAt,
  placeProblems,
  problemsUnder,
  sampleContext,
  syntaxProblem,
  varSnippet,
} from '../src/lib/rule-editor.js';

const text = `{
  "and": [
    { ">=": [{ "var": "event.ammount" }, 1500] },
    { "foo": [1] }
  ]
}`;

describe('placeProblems', () => {
  it("puts validate's and create's problems at their lines, errors and warnings sorted by line", () => {
    const problems = placeProblems(
      text,
      'condition',
      [{ path: '$.and[1].foo', message: 'unknown operator "foo"', suggestion: 'or' }],
      [{ path: 'condition.and[0][">="][0].var', message: 'unknown variable', suggestion: 'event.amount' }],
    );
    expect(problems).toEqual([
      {
        kind: 'warning',
        line: 3,
        path: 'condition.and[0][">="][0].var',
        message: 'unknown variable',
        suggestion: 'event.amount',
      },
      { kind: 'error', line: 4, path: '$.and[1].foo', message: 'unknown operator "foo"', suggestion: 'or' },
    ]);
  });

  it('keeps the problems under a root only', () => {
    const all = [
      { path: 'condition[">"][0].var' },
      { path: 'quantity.var' },
      { path: 'conditions' },
      { path: 'condition' },
    ];
    expect(problemsUnder(all, 'condition').map((p) => p.path)).toEqual([
      'condition[">"][0].var',
      'condition',
    ]);
  });
});

describe('syntaxProblem', () => {
  it('names the line and column of a syntax error, and nothing for JSON', () => {
    expect(syntaxProblem('{\n  "var": "x",\n}')).toMatchObject({ kind: 'error', line: 3 });
    expect(syntaxProblem('{\n  "var": "x",\n}')?.message).toContain('line 3, column 1');
    expect(syntaxProblem('true')).toBeNull();
  });
});

describe('the variable picker', () => {
  it('inserts a var at the cursor, replacing a selection', () => {
    expect(insertAt('{">=": [, 10]}', 8, 8, '{"var": "event.amount"}')).toEqual({
      text: '{">=": [{"var": "event.amount"}, 10]}',
      cursor: 31,
    });
    expect(insertAt('true', 0, 4, 'X')).toEqual({ text: 'X', cursor: 1 });
    expect(insertAt('ab', 9, 9, 'X')).toEqual({ text: 'abX', cursor: 3 });
  });

  it('gives an object variable a selected placeholder key', () => {
    expect(varSnippet({ path: 'event.amount', type: 'integer' })).toEqual({
      snippet: '{"var": "event.amount"}',
      select: null,
    });
    const s = varSnippet({ path: 'customer.attributes', type: 'object' });
    expect(s.snippet).toBe('{"var": "customer.attributes.key"}');
    expect(s.snippet.slice(...(s.select as [number, number]))).toBe('key');
  });

  it('every variable of the list inserts valid JSON', () => {
    for (const v of RULE_CONTEXT_VARIABLES) expect(parseJson(varSnippet(v).snippet).ok).toBe(true);
  });
});

describe('applySuggestion', () => {
  it('replaces the misspelt variable at the warning path with the suggestion', () => {
    const fixed = applySuggestion(text, 'condition', '$.and[0][">="][0].var', 'event.amount');
    expect(fixed).toBe(text.replace('event.ammount', 'event.amount'));
    expect(applySuggestion(text, 'condition', 'condition.and[0][">="][0].var', 'event.amount')).toBe(fixed);
  });

  it('is null when the path names no string', () => {
    expect(applySuggestion(text, 'condition', '$.and[1]', 'x')).toBeNull();
    expect(applySuggestion('{', 'condition', '$', 'x')).toBeNull();
  });
});

describe('sampleContext', () => {
  it('is a JSON context with an event of the kind, in the tenant currency', () => {
    const purchase = JSON.parse(sampleContext('purchase', 'GHS'));
    expect(purchase.event).toMatchObject({ type: 'purchase', amount: 2500, currency: 'GHS' });
    expect(JSON.parse(sampleContext('visit', 'GHS')).event.type).toBe('visit');
  });
});
