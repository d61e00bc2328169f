/**
 * pipeline.ts: a write whose answer nobody reads travels inlined in front of the next statement.
 * Inlining must say exactly what the parameters said, for every value a repository sends.
 */
import fc from 'fast-check';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inlineParameters } from '../src/pipeline.js';
import { pgTestDb } from './pg-test-db.js';

describe('inlineParameters', () => {
  it('replaces placeholders, and nothing inside strings, quoted names, comments or dollar quotes', () => {
    const text = `SELECT $1, '$1', E'it\\'s $1', "a$1", x$1, -- $1\n /* $1 /* $1 */ */ $tag$ $1 $tag$, $$ $1 $$, $2`;
    expect(inlineParameters(text, ['one', 2])).toBe(
      `SELECT  'one' , '$1', E'it\\'s $1', "a$1", x$1, -- $1\n /* $1 /* $1 */ */ $tag$ $1 $tag$, $$ $1 $$,  '2' `,
    );
  });

  it('writes each value as pg sends it: null, numbers, booleans, dates, JSON, backslashes', () => {
    expect(inlineParameters('$1 $2 $3 $4', [null, -5, true, { a: "b'c\\" }])).toBe(
      ` NULL   '-5'   'true'    E'{"a":"b''c\\\\\\\\"}' `,
    );
    // `-$1` with a negative number stays a minus and a literal, never a comment.
    expect(inlineParameters('SELECT 1-$1', [-1])).toBe(`SELECT 1- '-1' `);
  });

  it('refuses what has no text form, and placeholders without a value', () => {
    expect(inlineParameters('SELECT $1', [Buffer.from('x')])).toBeNull();
    expect(inlineParameters('SELECT $2', ['only one'])).toBeNull();
  });
});

const db = pgTestDb({ migrate: false });

describe.skipIf(!db.available)('inlined statements on PostgreSQL', () => {
  let client: pg.Client;
  beforeAll(async () => {
    client = new pg.Client({ connectionString: db.ownerUrl });
    await client.connect();
  });
  afterAll(async () => {
    await client?.end();
  });

  const text = fc.string({ unit: 'grapheme', maxLength: 40 }).filter((s) => !s.includes('\u0000'));
  const json = fc.jsonValue().filter((v) => !JSON.stringify(v).includes('\\u0000'));

  it('answers what the same statement with parameters answers', async () => {
    const statement =
      'SELECT $1::text AS t, $2::bigint AS n, $3::boolean AS b, $4::jsonb AS j, $5::timestamptz AS d, $6::text AS nothing, $7 AS untyped';
    await fc.assert(
      fc.asyncProperty(
        fc.tuple(
          text,
          fc.bigInt({ min: -(2n ** 62n), max: 2n ** 62n }),
          fc.boolean(),
          json,
          fc.date({ min: new Date('1970-01-01'), max: new Date('2200-01-01'), noInvalidDate: true }),
          fc.constant(null),
          text,
        ),
        async (values) => {
          // JSON goes as its text, as mapping.ts json() sends it.
          const params = values.map((v, i) =>
            typeof v === 'bigint' ? v.toString() : i === 3 ? JSON.stringify(v) : v,
          );
          const expected = (await client.query(statement, params)).rows;
          const inlined = inlineParameters(statement, params);
          expect(inlined).not.toBeNull();
          expect((await client.query(inlined as string)).rows).toEqual(expected);
        },
      ),
      { numRuns: 300 },
    );
  });
});
