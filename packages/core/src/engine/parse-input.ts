import type { z } from 'zod';
import { type FieldIssue, UnprocessableInputError, ValidationError } from '../errors.js';

/**
 * The path of the first string or object key in `input` that holds a NUL character (`\u0000`),
 * or undefined. PostgreSQL cannot store NUL in text or jsonb, and no merchant means one: refusing
 * it here, once, keeps every string field of every input from becoming a driver error.
 * Iterative, so that a 10,000-deep document cannot overflow the stack.
 */
export function findNul(input: unknown): string | undefined {
  const stack: Array<[unknown, string]> = [[input, '']];
  while (stack.length > 0) {
    const [value, path] = stack.pop() as [unknown, string];
    if (typeof value === 'string') {
      if (value.includes('\u0000')) return path || '(root)';
    } else if (Array.isArray(value)) {
      value.forEach((item, i) => {
        stack.push([item, path ? `${path}.${i}` : String(i)]);
      });
    } else if (typeof value === 'object' && value !== null) {
      for (const [key, item] of Object.entries(value)) {
        const at = path ? `${path}.${key}` : key;
        if (key.includes('\u0000')) return at.replaceAll('\u0000', '\\u0000');
        stack.push([item, at]);
      }
    }
  }
  return undefined;
}

/**
 * Parses `input` with `schema`; a failure is a `ValidationError` naming every field at fault (the
 * first {@link MAX_LISTED_ISSUES}, with the total). A NUL character anywhere is refused first.
 * The one parse of every input, the engine's and the server's bodies and queries alike.
 */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown, what: string): z.output<S> {
  const nul = findNul(input);
  if (nul !== undefined) {
    throw new ValidationError(`Invalid ${what}: ${nul}: must not contain a NUL character (\\u0000)`, [
      { path: nul, message: 'must not contain a NUL character (\\u0000)', code: 'nul_character' },
    ]);
  }
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issues: FieldIssue[] = result.error.issues.flatMap((issue): FieldIssue[] => {
    const at = issue.path.map(String);
    // One issue per unknown key, naming it, rather than one at the object listing them all.
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({
        path: [...at, key].join('.'),
        message: 'is not a known field',
        code: issue.code,
      }));
    }
    return [{ path: at.join('.') || '(root)', message: issue.message, code: issue.code }];
  });
  const first = issues[0];
  const summary = first ? `${first.path}: ${first.message}` : 'invalid input';
  const more = issues.length > 1 ? ` (and ${issues.length - 1} more)` : '';
  // Figures past the one maximum are well-formed and more than LaaS holds: 422, not 400.
  const pastMax = result.error.issues.every(
    (issue) =>
      issue.code === 'custom' && (issue.params as { laas?: string } | undefined)?.laas === 'max_amount',
  );
  const Refusal = pastMax ? UnprocessableInputError : ValidationError;
  throw new Refusal(`Invalid ${what}: ${summary}${more}`, issues);
}
