// Writes the dry-run benchmark's events: a year (2025) of visits and purchases by `customers`
// customers, in time order, as JSONL (one ingest input per line). Deterministic: mulberry32, a
// 32-bit PRNG, so the same arguments write the same file.

import { once } from 'node:events';
import { createWriteStream } from 'node:fs';

export function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const YEAR_START = Date.UTC(2025, 0, 1);
const YEAR_MS = 365 * 86_400_000;

/**
 * Writes `events` events of `customers` customers to `file`; resolves to the number of distinct
 * customers that appear. Activity is skewed (a few regulars, many occasional customers), one in five
 * customers has a birthday, 40% of events are purchases of $5–$150.
 */
export async function writeEvents(file, { events = 1_000_000, customers = 50_000, seed = 2025 } = {}) {
  const rand = mulberry32(seed);
  // Event times: a Poisson process over the year (exponential gaps), so already in time order.
  const out = createWriteStream(file);
  const seen = new Uint8Array(customers);
  let distinct = 0;
  let t = YEAR_START;
  const meanGap = YEAR_MS / events;
  for (let i = 0; i < events; i++) {
    t += -Math.log(1 - rand()) * meanGap;
    // Skew: the square of a uniform draw favours low customer numbers (regulars).
    const c = Math.min(
      customers - 1,
      Math.floor(rand() * rand() * customers * 1.0) + (i < customers ? 0 : 0),
    );
    const n = i < customers ? i : c; // every customer appears at least once
    if (seen[n] === 0) {
      seen[n] = 1;
      distinct++;
    }
    const customer = { external_ref: `c${n}` };
    if (n % 5 === 0) {
      const month = 1 + (n % 12);
      const day = 1 + (n % 28);
      customer.birthday = `19${70 + (n % 30)}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
    }
    const purchase = rand() < 0.4;
    const line = {
      idempotency_key: `till-${i + 1}`,
      type: purchase ? 'purchase' : 'visit',
      occurred_at: new Date(Math.min(t, YEAR_START + YEAR_MS - 1)).toISOString(),
      customer,
      data: purchase ? { amount: 500 + Math.floor(rand() * 290) * 50 } : {},
    };
    if (!out.write(`${JSON.stringify(line)}\n`)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
  return distinct;
}
