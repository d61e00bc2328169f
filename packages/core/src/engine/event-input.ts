import { dryRunEventSchema, type IngestEvent, ingestEventSchema } from '../domain/event.js';
import { parseInput } from './parse-input.js';

/**
 * Parses an event to ingest. A dry run may leave `idempotency_key` out: it writes nothing, so a
 * made-up key (`dry-run:<id>`, never stored) serves; one that is given is kept, so a dry run of a
 * key already ingested still answers that event's stored outcome.
 */
export function parseEventInput(raw: unknown, dryRun: boolean, newId: () => string): IngestEvent {
  if (!dryRun) return parseInput(ingestEventSchema, raw, 'event');
  const input = parseInput(dryRunEventSchema, raw, 'event');
  return { ...input, idempotency_key: input.idempotency_key ?? `dry-run:${newId()}` };
}
