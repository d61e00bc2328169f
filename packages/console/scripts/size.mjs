// Prints the console's size as a browser downloads it (gzip), and fails the build past the budget.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

const BUDGET = 300 * 1024;
const dist = new URL('../dist/', import.meta.url).pathname;
let raw = 0;
let gzip = 0;
for (const name of readdirSync(dist, { recursive: true, encoding: 'utf8' })) {
  const path = join(dist, name);
  if (!statSync(path).isFile() || !/\.(js|css|html|svg)$/.test(name)) continue;
  const bytes = readFileSync(path);
  raw += bytes.length;
  gzip += gzipSync(bytes, { level: 9 }).length;
}
const kb = (n) => `${(n / 1024).toFixed(1)} KB`;
console.log(`console bundle: ${kb(raw)} raw, ${kb(gzip)} gzip (budget ${kb(BUDGET)} gzip)`);
if (gzip > BUDGET) {
  console.error(`the console is over its size budget by ${kb(gzip - BUDGET)}`);
  process.exit(1);
}
