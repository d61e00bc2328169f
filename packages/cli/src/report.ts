import type { BudgetPeriodSummary, BudgetSummary, DryRunSummary } from './summary.js';

const DAY = 86_400_000;

export interface PeriodProjection {
  budget: string;
  unit: string;
  period: string;
  limit: number;
  committed: number;
  charged: number;
  /** Cost charged per day over the days of the period that had events. */
  rate_per_day: number;
  status: 'exhausted' | 'projected' | 'not_within_period' | 'completed' | 'no_spend';
  /** Exhaustion date (observed, or projected at the rate). */
  date: string | null;
  text: string;
}

function addDays(date: string, days: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + days * DAY).toISOString().slice(0, 10);
}

function daysBetween(a: string, b: string): number {
  return Math.round((Date.parse(`${b}T00:00:00Z`) - Date.parse(`${a}T00:00:00Z`)) / DAY);
}

/**
 * When each budget period runs out at the observed rate: the period's charges divided by the days
 * observed in it (from its start, or the first event, to the last event), projected from the
 * last event's day.
 */
export function projectBudgets(
  summary: DryRunSummary,
  localDate: (iso: string) => string,
): PeriodProjection[] {
  const first = summary.events.first_at === null ? null : localDate(summary.events.first_at);
  const last = summary.events.last_at === null ? null : localDate(summary.events.last_at);
  const out: PeriodProjection[] = [];
  for (const b of summary.budgets) {
    for (const p of b.periods) out.push(projectPeriod(b, p, first, last));
  }
  return out;
}

function projectPeriod(
  b: BudgetSummary,
  p: BudgetPeriodSummary,
  first: string | null,
  last: string | null,
): PeriodProjection {
  const base = {
    budget: b.name,
    unit: b.unit,
    period: p.period,
    limit: p.limit,
    committed: p.committed,
    charged: p.charged,
  };
  const from = first === null || first < p.starts ? p.starts : first;
  const lastInPeriod = last === null ? from : p.ends !== null && last >= p.ends ? addDays(p.ends, -1) : last;
  const days = Math.max(1, daysBetween(from, lastInPeriod) + 1);
  const rate = p.charged / days;
  const pct = p.limit > 0 ? Math.round((100 * p.committed) / p.limit) : 0;
  if (p.exhausted_on !== null) {
    return {
      ...base,
      rate_per_day: rate,
      status: 'exhausted',
      date: p.exhausted_on,
      text: `ran out on ${p.exhausted_on}`,
    };
  }
  if (rate === 0) {
    return {
      ...base,
      rate_per_day: 0,
      status: 'no_spend',
      date: null,
      text: 'nothing charged: never runs out at this rate',
    };
  }
  const remaining = p.limit - p.committed;
  if (remaining <= 0) {
    return {
      ...base,
      rate_per_day: rate,
      status: 'exhausted',
      date: lastInPeriod,
      text: `fully committed by ${lastInPeriod}`,
    };
  }
  if (p.ends !== null && last !== null && last >= addDays(p.ends, -1)) {
    const chargedPct = p.limit > 0 ? Math.round((100 * p.charged) / p.limit) : 0;
    const text =
      chargedPct > pct
        ? `did not run out (${chargedPct}% charged; expired or cancelled rewards gave ${fmt(p.charged - p.committed)} back)`
        : `did not run out (${pct}% used)`;
    return { ...base, rate_per_day: rate, status: 'completed', date: null, text };
  }
  const date = addDays(lastInPeriod, Math.ceil(remaining / rate));
  if (p.ends !== null && date >= p.ends) {
    const byEnd = Math.min(
      100,
      Math.round((100 * (p.committed + rate * daysBetween(lastInPeriod, p.ends))) / p.limit),
    );
    return {
      ...base,
      rate_per_day: rate,
      status: 'not_within_period',
      date: null,
      text: `not within this period (ends ${p.ends}; ~${byEnd}% used by then)`,
    };
  }
  return { ...base, rate_per_day: rate, status: 'projected', date, text: `runs out around ${date}` };
}

function esc(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

function fmt(n: number): string {
  return Number.isInteger(n)
    ? n.toLocaleString('en-US')
    : n.toLocaleString('en-US', { maximumFractionDigits: 1 });
}

const PALETTE = ['#2563eb', '#dc2626', '#16a34a', '#9333ea', '#ea580c', '#0891b2', '#be185d', '#4d7c0f'];

/** Daily burn per budget as an inline SVG: one polyline per budget, labelled axes, a legend. */
export function burnChartSvg(
  budgets: BudgetSummary[],
  firstDate: string | null,
  lastDate: string | null,
): string {
  const W = 760;
  const H = 320;
  const m = { top: 20, right: 20, bottom: 60, left: 70 };
  const dates: string[] = [];
  if (firstDate !== null && lastDate !== null) {
    for (let d = firstDate; d <= lastDate && dates.length < 3660; d = addDays(d, 1)) dates.push(d);
  }
  if (dates.length === 0) dates.push(firstDate ?? '—');
  const max = Math.max(1, ...budgets.flatMap((b) => b.daily.map((d) => d.cost)));
  const x = (i: number) =>
    m.left + (dates.length === 1 ? 0 : (i * (W - m.left - m.right)) / (dates.length - 1));
  const y = (v: number) => H - m.bottom - (v * (H - m.top - m.bottom)) / max;
  const parts: string[] = [];
  parts.push(
    `<svg id="burn-chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="Budget burn per day">`,
  );
  parts.push(`<title>Budget burn per day</title>`);
  // Axes.
  parts.push(
    `<line class="axis x-axis" x1="${m.left}" y1="${H - m.bottom}" x2="${W - m.right}" y2="${H - m.bottom}" stroke="#444"/>`,
    `<line class="axis y-axis" x1="${m.left}" y1="${m.top}" x2="${m.left}" y2="${H - m.bottom}" stroke="#444"/>`,
  );
  const yTicks = 4;
  for (let i = 0; i <= yTicks; i++) {
    const v = (max * i) / yTicks;
    parts.push(
      `<line x1="${m.left}" y1="${y(v).toFixed(1)}" x2="${W - m.right}" y2="${y(v).toFixed(1)}" stroke="#eee"/>`,
      `<text class="y-label" x="${m.left - 8}" y="${(y(v) + 4).toFixed(1)}" text-anchor="end" font-size="11">${esc(fmt(Math.round(v)))}</text>`,
    );
  }
  const xTicks = Math.min(dates.length, 8);
  const seen = new Set<number>();
  for (let i = 0; i < xTicks; i++) {
    const idx = xTicks === 1 ? 0 : Math.round((i * (dates.length - 1)) / (xTicks - 1));
    if (seen.has(idx)) continue;
    seen.add(idx);
    parts.push(
      `<text class="x-label" x="${x(idx).toFixed(1)}" y="${H - m.bottom + 18}" text-anchor="middle" font-size="11">${esc(dates[idx] ?? '')}</text>`,
    );
  }
  parts.push(
    `<text class="axis-title" x="${(m.left + W - m.right) / 2}" y="${H - 12}" text-anchor="middle" font-size="12">Date</text>`,
    `<text class="axis-title" x="16" y="${(m.top + H - m.bottom) / 2}" text-anchor="middle" font-size="12" transform="rotate(-90 16 ${(m.top + H - m.bottom) / 2})">Charged per day</text>`,
  );
  budgets.forEach((b, bi) => {
    const byDate = new Map(b.daily.map((d) => [d.date, d.cost]));
    const points = dates.map((d, i) => `${x(i).toFixed(1)},${y(byDate.get(d) ?? 0).toFixed(1)}`).join(' ');
    const colour = PALETTE[bi % PALETTE.length];
    parts.push(
      `<polyline class="budget-line" data-budget="${esc(b.name)}" fill="none" stroke="${colour}" stroke-width="2" points="${points}"/>`,
    );
    parts.push(
      `<g class="legend"><rect x="${m.left + 10 + bi * 170}" y="${H - 34}" width="12" height="12" fill="${colour}"/><text x="${m.left + 27 + bi * 170}" y="${H - 24}" font-size="11">${esc(b.name)} (${esc(b.unit)})</text></g>`,
    );
  });
  parts.push('</svg>');
  return parts.join('\n');
}

export function htmlReport(
  summary: DryRunSummary,
  projections: PeriodProjection[],
  localDate: (iso: string) => string,
): string {
  const first = summary.events.first_at === null ? null : localDate(summary.events.first_at);
  const last = summary.events.last_at === null ? null : localDate(summary.events.last_at);
  const rows = (cells: string[]) => `<tr>${cells.map((c) => `<td>${c}</td>`).join('')}</tr>`;
  const head = (cells: string[]) => `<tr>${cells.map((c) => `<th>${c}</th>`).join('')}</tr>`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>LaaS backtest: budget burn</title>
<style>
body { font-family: system-ui, sans-serif; margin: 2rem; color: #111; }
table { border-collapse: collapse; margin: 1rem 0; }
th, td { border: 1px solid #ccc; padding: 4px 8px; text-align: left; font-size: 14px; }
th { background: #f4f4f4; }
td.num { text-align: right; }
</style>
</head>
<body>
<h1>Backtest: budget burn</h1>
<p>${fmt(summary.events.processed)} events from ${esc(first ?? '—')} to ${esc(last ?? '—')} (time zone ${esc(summary.timezone)}), ${fmt(summary.events.rejected)} rejected.</p>
<h2>Burn per day</h2>
${summary.budgets.length === 0 ? '<p>No budgets.</p>' : burnChartSvg(summary.budgets, first, last)}
<h2>When each budget runs out</h2>
<table id="projections">
${head(['Budget', 'Period', 'Limit', 'Committed', 'Charged', 'Rate / day', 'Runs out'])}
${projections
  .map((p) =>
    rows([
      esc(p.budget),
      esc(p.period),
      `${fmt(p.limit)} ${esc(p.unit)}`,
      fmt(p.committed),
      fmt(p.charged),
      fmt(p.rate_per_day),
      esc(p.text),
    ]),
  )
  .join('\n')}
</table>
<h2>Rewards per rule</h2>
<table id="rules">
${head(['Rule', 'Reward', 'Issued', 'Quantity', 'Cost', 'Outcomes'])}
${summary.rules
  .map((r) =>
    rows([
      esc(r.rule_name),
      esc(r.reward),
      fmt(r.issuances),
      fmt(r.quantity),
      fmt(r.cost),
      esc(
        Object.entries(r.outcomes)
          .map(([k, v]) => `${k} ${v}`)
          .join(', '),
      ),
    ]),
  )
  .join('\n')}
</table>
</body>
</html>
`;
}

export function markdownReport(
  summary: DryRunSummary,
  projections: PeriodProjection[],
  localDate: (iso: string) => string,
): string {
  const first = summary.events.first_at === null ? '—' : localDate(summary.events.first_at);
  const last = summary.events.last_at === null ? '—' : localDate(summary.events.last_at);
  const lines: string[] = [];
  lines.push('# Backtest: budget burn', '');
  lines.push(
    `${fmt(summary.events.processed)} events from ${first} to ${last} (time zone ${summary.timezone}), ${fmt(summary.events.rejected)} rejected.`,
    '',
  );
  lines.push('## When each budget runs out', '');
  lines.push('| Budget | Period | Limit | Committed | Charged | Rate / day | Runs out |');
  lines.push('| --- | --- | ---: | ---: | ---: | ---: | --- |');
  for (const p of projections) {
    lines.push(
      `| ${p.budget} | ${p.period} | ${fmt(p.limit)} ${p.unit} | ${fmt(p.committed)} | ${fmt(p.charged)} | ${fmt(p.rate_per_day)} | ${p.text} |`,
    );
  }
  lines.push('', '## Burn per day', '');
  for (const b of summary.budgets) {
    lines.push(
      `### ${b.name} (${b.unit}, limit ${fmt(b.limit)} per ${b.period === 'none' ? 'budget' : b.period})`,
      '',
    );
    lines.push('| Date | Charged |', '| --- | ---: |');
    for (const d of b.daily) lines.push(`| ${d.date} | ${fmt(d.cost)} |`);
    if (b.daily.length === 0) lines.push('| — | 0 |');
    lines.push('');
  }
  lines.push('## Rewards per rule', '');
  lines.push('| Rule | Reward | Issued | Quantity | Cost |', '| --- | --- | ---: | ---: | ---: |');
  for (const r of summary.rules)
    lines.push(
      `| ${r.rule_name} | ${r.reward} | ${fmt(r.issuances)} | ${fmt(r.quantity)} | ${fmt(r.cost)} |`,
    );
  return `${lines.join('\n')}\n`;
}
