// Runs `one(i)` for i < count with `concurrency` callers in flight; events/s over the whole run and
// the latency of each call (ms) at p50 and p99.

export async function timed(count, concurrency, one) {
  const latencies = [];
  let next = 0;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) {
        const i = next++;
        const t0 = performance.now();
        await one(i);
        latencies.push(performance.now() - t0);
      }
    }),
  );
  const ms = performance.now() - start;
  latencies.sort((a, b) => a - b);
  const at = (p) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))];
  return { perSecond: (count / ms) * 1000, p50: at(0.5), p99: at(0.99) };
}
