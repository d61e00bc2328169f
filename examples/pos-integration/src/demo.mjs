// A day at the till: three sales, a retried request, and a redemption with points.
// Usage: node src/demo.mjs [--db ./data/pos.sqlite]
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { formatMoney } from '@laas/core';
import { checkout, FIVE_OFF_ID, openLoyalty, redeemAtTill } from './loyalty.mjs';

const dbIndex = process.argv.indexOf('--db');
const db = dbIndex > 0 ? process.argv[dbIndex + 1] : './data/pos.sqlite';
mkdirSync(dirname(db), { recursive: true });
const loyalty = await openLoyalty(db);
const phone = '+254712345678';
const run = Date.now();
try {
  const sales = [
    { till: 'till-1', receipt: `${run}-1`, phone, amount: 250_000 }, // KES 2,500.00
    { till: 'till-1', receipt: `${run}-2`, phone, amount: 180_000 },
    { till: 'till-2', receipt: `${run}-3`, phone, amount: 120_050 },
  ];
  let customerId;
  for (const sale of sales) {
    const r = await checkout(loyalty, sale);
    customerId = r.customerId;
    console.log(
      `sale ${sale.receipt}: ${formatMoney(sale.amount, 'KES')} → +${r.earned} points, balance ${r.balance}`,
    );
  }
  const retry = await checkout(loyalty, sales[0]);
  console.log(
    `retry of ${sales[0].receipt}: replayed=${retry.replayed}, nothing credited again, balance ${retry.balance}`,
  );
  const redemption = await redeemAtTill(loyalty, { customerId, rewardId: FIVE_OFF_ID });
  console.log(
    `redeemed at the till: ${formatMoney(redemption.discount, 'KES')} off (${redemption.state}), balance ${redemption.balance}`,
  );
} finally {
  await loyalty.close();
}
