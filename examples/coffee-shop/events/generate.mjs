// Generates january.jsonl and january.csv: a month of visits and purchases at Kofi Coffee.
// Deterministic (seeded), so the files and the tests that read them stay the same.
import { writeFileSync } from 'node:fs';

let seed = 20250101;
const rand = () => {
  seed = (seed * 1103515245 + 12345) % 2147483648;
  return seed / 2147483648;
};
const customers = Array.from({ length: 25 }, (_, i) => ({
  external_ref: `c${String(i + 1).padStart(3, '0')}`,
  // Every fifth customer has a birthday in January.
  ...(i % 5 === 0 ? { birthday: `${1980 + i}-01-${String(5 + i).padStart(2, '0')}` } : {}),
}));
const events = [];
for (let day = 1; day <= 31; day++) {
  const count = 5 + Math.floor(rand() * 5);
  for (let k = 0; k < count; k++) {
    const customer = customers[Math.floor(rand() * customers.length)];
    const hour = 7 + Math.floor(rand() * 11);
    const minute = Math.floor(rand() * 60);
    const at = `2025-01-${String(day).padStart(2, '0')}T${String(hour).padStart(2, '0')}:${String(minute).padStart(2, '0')}:00Z`;
    const purchase = rand() < 0.3;
    events.push({
      idempotency_key: `till-1-${events.length + 1}`,
      type: purchase ? 'purchase' : 'visit',
      occurred_at: at,
      customer,
      data: purchase ? { amount: 500 + Math.floor(rand() * 20) * 50 } : {},
    });
  }
}
events.sort((a, b) => (a.occurred_at < b.occurred_at ? -1 : a.occurred_at > b.occurred_at ? 1 : 0));
const dir = new URL('.', import.meta.url);
writeFileSync(new URL('january.jsonl', dir), `${events.map((e) => JSON.stringify(e)).join('\n')}\n`);
const rows = ['idempotency_key,type,occurred_at,customer_ref,birthday,amount'];
for (const e of events) {
  rows.push(
    [
      e.idempotency_key,
      e.type,
      e.occurred_at,
      e.customer.external_ref,
      e.customer.birthday ?? '',
      e.data.amount ?? '',
    ].join(','),
  );
}
writeFileSync(new URL('january.csv', dir), `${rows.join('\n')}\n`);
console.log(`${events.length} events`);
