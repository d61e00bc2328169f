import { describe, expect, it } from 'vitest';
import { cumulative, exhaustionText, shiftDate, usedPercent } from '../src/lib/analytics.js';

describe('performance screen figures', () => {
  it('sums a budget’s daily charges into its running total', () => {
    expect(cumulative([100, 0, 250, 50])).toEqual([100, 100, 350, 400]);
    expect(cumulative([])).toEqual([]);
  });

  it('says how much of a budget is used, and when it runs out', () => {
    expect(usedPercent({ used: 3200, limit: 5000 })).toBe(64);
    expect(usedPercent({ used: 10, limit: 0 })).toBe(0);
    expect(exhaustionText({ remaining: 0, projected_exhaustion: null })).toBe('Exhausted for this period.');
    expect(exhaustionText({ remaining: 100, projected_exhaustion: '2026-12-24' })).toContain(
      'runs out on 2026-12-24',
    );
    expect(exhaustionText({ remaining: 100, projected_exhaustion: null })).toContain('lasts the period');
  });

  it('moves calendar dates across months, years and DST changes', () => {
    expect(shiftDate('2026-12-05', -29)).toBe('2026-11-06');
    expect(shiftDate('2026-01-01', -1)).toBe('2025-12-31');
    expect(shiftDate('2026-03-29', 1)).toBe('2026-03-30');
    expect(shiftDate('2024-02-28', 1)).toBe('2024-02-29');
  });
});
