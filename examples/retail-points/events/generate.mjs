// Generates purchases.csv: four months of purchases at Mercado Verde (deterministic, seeded).
import { writeFileSync } from 'node:fs';

let seed = 42;
const rand = () => {
  seed = (seed * 1103515245 + 12345) % 2147483648;
  return seed / 2147483648;
};
const rows = ['type,occurred_at,customer_ref,amount,store_id'];
const start = Date.UTC(2025, 0, 1, 15);
for (let day = 0; day < 120; day++) {
  const n = 4 + Math.floor(rand() * 6);
  for (let k = 0; k < n; k++) {
    const at = new Date(start + day * 86_400_000 + Math.floor(rand() * 10 * 3_600_000)).toISOString();
    const customer = `m${String(1 + Math.floor(rand() * rand() * 60)).padStart(3, '0')}`;
    const amount = 500 + Math.floor(rand() * rand() * 120) * 100 + Math.floor(rand() * 100);
    rows.push(['purchase', at, customer, amount, rand() < 0.5 ? 'centro' : 'norte'].join(','));
  }
}
const header = rows.shift();
rows.sort((a, b) => (a.split(',')[1] < b.split(',')[1] ? -1 : 1));
writeFileSync(new URL('purchases.csv', import.meta.url), `${[header, ...rows].join('\n')}\n`);
console.log(`${rows.length} purchases`);
