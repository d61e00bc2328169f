import { createReadStream, statSync } from 'node:fs';
import { extname } from 'node:path';
import { createInterface } from 'node:readline';
import { parse } from 'csv-parse';

/** One row of an events file: the engine's ingest input, or why the row could not be read. */
export type EventRow =
  | { line: number; ok: true; input: EventInput; occurredAt: Date }
  | { line: number; ok: false; error: string; raw: string };

/** The engine's ingest input, with the fields a dry-run needs filled in. */
export interface EventInput {
  idempotency_key: string;
  type: string;
  occurred_at: string;
  customer: Record<string, unknown>;
  data: Record<string, unknown>;
}

/** CSV columns that name the customer (→ `customer.<field>`). */
const CUSTOMER_COLUMNS: Record<string, string> = {
  customer_id: 'id',
  customer_ref: 'external_ref',
  external_ref: 'external_ref',
  phone: 'phone',
  customer_phone: 'phone',
  name: 'name',
  customer_name: 'name',
  birthday: 'birthday',
  customer_birthday: 'birthday',
};

export function eventsFormat(file: string): 'jsonl' | 'csv' {
  const ext = extname(file).toLowerCase();
  if (ext === '.csv') return 'csv';
  if (ext === '.jsonl' || ext === '.ndjson' || ext === '.json') return 'jsonl';
  throw new Error(`events file ${file}: use .jsonl (one JSON event per line) or .csv`);
}

export function eventsFileSize(file: string): number {
  return statSync(file).size;
}

/** How far a {@link readEvents} has read its file (to within a read-ahead chunk), for progress. */
export interface ReadPosition {
  bytes: number;
}

/** Completes a row into an ingest input: a generated key when missing, `occurred_at` required. */
export function normaliseEvent(value: unknown, line: number, keyPrefix: string): EventRow {
  // Only a refused row keeps its text (a replay reads millions that are fine).
  const raw = () => JSON.stringify(value) ?? '';
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { line, ok: false, error: 'an event must be a JSON object', raw: raw() };
  }
  const v = value as Record<string, unknown>;
  if (typeof v.occurred_at !== 'string' || Number.isNaN(Date.parse(v.occurred_at))) {
    return {
      line,
      ok: false,
      error: 'occurred_at is missing or not an ISO date-time (it drives the clock)',
      raw: raw(),
    };
  }
  const occurredAt = new Date(v.occurred_at);
  const input = {
    ...v,
    idempotency_key:
      typeof v.idempotency_key === 'string' && v.idempotency_key !== ''
        ? v.idempotency_key
        : `${keyPrefix}${line}`,
    occurred_at: v.occurred_at,
  } as EventInput;
  if (input.data === undefined) input.data = {};
  return { line, ok: true, input, occurredAt };
}

/** A CSV cell as a JSON value: integers and decimals become numbers, true/false booleans. */
function cell(text: string): unknown {
  const t = text.trim();
  if (/^-?(0|[1-9][0-9]*)(\.[0-9]+)?$/.test(t)) return Number(t);
  if (t === 'true' || t === 'false') return t === 'true';
  return t;
}

/** Maps one CSV record (by header) to an ingest input; see the README for the columns. */
export function csvRecordToEvent(record: Record<string, string>): Record<string, unknown> {
  const customer: Record<string, unknown> = {};
  const data: Record<string, unknown> = {};
  const event: Record<string, unknown> = { customer, data };
  for (const [column, text] of Object.entries(record)) {
    const key = column.trim();
    if (text === undefined || text.trim() === '') continue;
    if (key === 'type' || key === 'occurred_at' || key === 'idempotency_key') event[key] = text.trim();
    else if (key in CUSTOMER_COLUMNS) customer[CUSTOMER_COLUMNS[key] as string] = text.trim();
    else if (key.startsWith('customer.')) customer[key.slice(9)] = text.trim();
    else if (key === 'items' || key.startsWith('json:')) {
      try {
        data[key.replace(/^json:/, '')] = JSON.parse(text);
      } catch {
        data[key.replace(/^json:/, '')] = text;
      }
    } else data[key.startsWith('data.') ? key.slice(5) : key] = cell(text);
  }
  return event;
}

/**
 * Streams the events of a `.jsonl` or `.csv` file, one at a time, in file order: memory stays
 * bounded whatever the file's size.
 */
export async function* readEvents(
  file: string,
  keyPrefix = 'dry-run-',
  position: ReadPosition = { bytes: 0 },
): AsyncGenerator<EventRow> {
  const format = eventsFormat(file);
  const stream = createReadStream(file, format === 'jsonl' ? { encoding: 'utf8' } : {});
  if (format === 'jsonl') {
    const lines = createInterface({ input: stream, crlfDelay: Infinity });
    let line = 0;
    for await (const text of lines) {
      line++;
      position.bytes = stream.bytesRead;
      const trimmed = text.trim();
      if (trimmed === '' || trimmed.startsWith('//')) continue;
      let value: unknown;
      try {
        value = JSON.parse(trimmed);
      } catch (error) {
        yield {
          line,
          ok: false,
          error: `not valid JSON: ${(error as Error).message}`,
          raw: trimmed.slice(0, 200),
        };
        continue;
      }
      yield normaliseEvent(value, line, keyPrefix);
    }
    return;
  }
  const parser = stream.pipe(
    parse({
      columns: true,
      skip_empty_lines: true,
      trim: false,
      bom: true,
      relax_column_count: true,
      info: true,
    }),
  );
  for await (const chunk of parser as AsyncIterable<{
    record: Record<string, string>;
    info: { lines: number };
  }>) {
    position.bytes = stream.bytesRead;
    yield normaliseEvent(csvRecordToEvent(chunk.record), chunk.info.lines, keyPrefix);
  }
}
