import { formatAmount, formatPoints, isCurrency } from '@laas/core';
import type { BudgetPeriodSummary, BudgetSummary, DryRunSummary, PointsSummary } from './summary.js';

const DAY = 86_400_000;

export interface PeriodProjection {
  budget: string;
  unit: string;
  /** The currency of the amounts (minor units); null for a points budget. */
  currency: string | null;
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
    currency: b.currency,
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
    const issuedPct = p.limit > 0 ? Math.round((100 * p.charged) / p.limit) : 0;
    const text =
      issuedPct > pct
        ? `did not run out (${pct}% committed at the end; returned rewards let it issue ${issuedPct}%)`
        : `did not run out (${pct}% committed)`;
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

/** A value or cost of the rules table in its unit; a sum of percentages means nothing. */
export function ruleAmount(n: number, unit: string): string {
  return unit === 'percent' ? '—' : formatAmount(n, unit);
}

/** What each column of the budget table means, one sentence each: shown beside every budget table. */
export const BUDGET_TERMS: Array<[string, string]> = [
  [
    'Limit',
    'The most a period may have committed at once; a hard cap refuses a reward that would go past it, a soft one only warns.',
  ],
  [
    'Issued',
    'The cost of every reward handed out in the period, counting those that later expired or were cancelled.',
  ],
  [
    'Returned',
    'The cost of rewards that expired unused or were cancelled, given back to the period so that more could be issued.',
  ],
  [
    'Committed',
    'What the period holds against its limit at the end of the replay: issued minus returned (rewards reserved, outstanding or redeemed).',
  ],
  ['Refused', 'Rewards a rule would have given but the budget had no room for.'],
  ['Rate / day', 'Issued divided by the days of the period the replay covered.'],
  [
    'Runs out',
    'The day the budget refused its first reward, or when it would at the rate per day if the period had not ended.',
  ],
];

export const POINTS_TERMS: Array<[string, string]> = [
  ['Earned', 'Points the rules credited to customers during the replay.'],
  ['Spent', 'Points customers exchanged for rewards (a replay of events buys none).'],
  ['Expired', 'Points that reached their expiry date unused and were taken off the balances.'],
  [
    'Outstanding',
    'Points customers still hold at the end of the replay: what the programme owes them (earned − spent − expired).',
  ],
];

export const NO_BUDGETS = 'This project has no budgets.';

/** The budget table's header and rows, amounts in each budget's unit; shared by every output. */
export function budgetTable(
  summary: DryRunSummary,
  projections: PeriodProjection[],
): { headers: string[]; rows: string[][] } {
  const headers = [
    'Budget',
    'Period',
    'Limit',
    'Issued',
    'Returned',
    'Committed',
    'Refused',
    'Rate / day',
    'Runs out',
  ];
  const rows = summary.budgets.flatMap((b) =>
    b.periods.map((p) => {
      const proj = projections.find((x) => x.budget === b.name && x.period === p.period);
      const a = (n: number) => formatAmount(n, b.unit);
      return [
        b.name,
        p.period,
        `${a(p.limit)}${b.hard_cap ? '' : ' (soft)'}`,
        a(p.charged),
        a(Math.max(0, p.charged - p.committed)),
        a(p.committed),
        fmt(p.refused),
        a(proj?.rate_per_day ?? 0),
        proj?.text ?? '',
      ];
    }),
  );
  return { headers, rows };
}

export function pointsRows(points: PointsSummary): Array<[string, string]> {
  return [
    ['Earned', formatPoints(points.earned)],
    ['Spent', formatPoints(points.spent)],
    ['Expired', formatPoints(points.expired)],
    ['Outstanding', formatPoints(points.outstanding)],
  ];
}

const PALETTE = ['#2563eb', '#dc2626', '#16a34a', '#9333ea', '#ea580c', '#0891b2', '#be185d', '#4d7c0f'];

/** Budgets grouped by unit, in order of first appearance: one chart per unit, never two on one axis. */
export function byUnit(budgets: BudgetSummary[]): Array<[string, BudgetSummary[]]> {
  const groups = new Map<string, BudgetSummary[]>();
  for (const b of budgets) groups.set(b.unit, [...(groups.get(b.unit) ?? []), b]);
  return [...groups];
}

/** A round tick step (1, 2, 2.5 or 5 times a power of ten) of at least `raw`, and at least 1. */
function niceStep(raw: number): number {
  const power = 10 ** Math.floor(Math.log10(Math.max(1, raw)));
  for (const f of [1, 2, 2.5, 5, 10]) if (f * power >= raw) return Math.max(1, f * power);
  return 10 * power;
}

/**
 * Daily burn of the budgets of one unit as an inline SVG: one polyline per budget, the y axis in
 * that unit (money as money), labelled axes, a legend.
 */
export function burnChartSvg(
  unit: string,
  budgets: BudgetSummary[],
  firstDate: string | null,
  lastDate: string | null,
): string {
  const W = 760;
  const H = 280;
  // The right margin holds half a date label, so the last one (centred on its tick) is not cut.
  const m = { top: 20, right: 40, bottom: 60, left: 80 };
  const dates: string[] = [];
  if (firstDate !== null && lastDate !== null) {
    for (let d = firstDate; d <= lastDate && dates.length < 3660; d = addDays(d, 1)) dates.push(d);
  }
  if (dates.length === 0) dates.push(firstDate ?? '—');
  const step = niceStep(Math.max(1, ...budgets.flatMap((b) => b.daily.map((d) => d.cost))) / 5);
  const yTicks = Math.max(
    1,
    Math.ceil(Math.max(1, ...budgets.flatMap((b) => b.daily.map((d) => d.cost))) / step),
  );
  const max = step * yTicks;
  const x = (i: number) =>
    m.left + (dates.length === 1 ? 0 : (i * (W - m.left - m.right)) / (dates.length - 1));
  const y = (v: number) => H - m.bottom - (v * (H - m.top - m.bottom)) / max;
  const money = isCurrency(unit);
  const title = `Issued per day (${money ? unit : 'points'})`;
  const parts: string[] = [];
  parts.push(
    `<svg class="burn-chart" data-unit="${esc(unit)}" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${esc(title)}">`,
  );
  parts.push(`<title>${esc(title)}</title>`);
  // Axes.
  parts.push(
    `<line class="axis x-axis" x1="${m.left}" y1="${H - m.bottom}" x2="${W - m.right}" y2="${H - m.bottom}" stroke="#444"/>`,
    `<line class="axis y-axis" x1="${m.left}" y1="${m.top}" x2="${m.left}" y2="${H - m.bottom}" stroke="#444"/>`,
  );
  for (let i = 0; i <= yTicks; i++) {
    const v = step * i;
    const label = money ? formatAmount(v, unit) : fmt(v);
    parts.push(
      `<line x1="${m.left}" y1="${y(v).toFixed(1)}" x2="${W - m.right}" y2="${y(v).toFixed(1)}" stroke="#eee"/>`,
      `<text class="y-label" x="${m.left - 8}" y="${(y(v) + 4).toFixed(1)}" text-anchor="end" font-size="11">${esc(label)}</text>`,
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
    `<text class="axis-title" x="${(m.left + W - m.right) / 2}" y="${H - 6}" text-anchor="middle" font-size="12">Date</text>`,
    `<text class="axis-title" x="14" y="${(m.top + H - m.bottom) / 2}" text-anchor="middle" font-size="12" transform="rotate(-90 14 ${(m.top + H - m.bottom) / 2})">${esc(title)}</text>`,
  );
  budgets.forEach((b, bi) => {
    const byDate = new Map(b.daily.map((d) => [d.date, d.cost]));
    const points = dates.map((d, i) => `${x(i).toFixed(1)},${y(byDate.get(d) ?? 0).toFixed(1)}`).join(' ');
    const colour = PALETTE[bi % PALETTE.length];
    parts.push(
      `<polyline class="budget-line" data-budget="${esc(b.name)}" fill="none" stroke="${colour}" stroke-width="2" points="${points}"/>`,
    );
    const limit = `limit ${formatAmount(b.limit, b.unit)} per ${b.period === 'none' ? 'budget' : b.period}`;
    parts.push(
      `<g class="legend"><rect x="${m.left + 10 + bi * 250}" y="${H - 32}" width="12" height="12" fill="${colour}"/><text x="${m.left + 27 + bi * 250}" y="${H - 22}" font-size="11">${esc(b.name)} (${esc(limit)})</text></g>`,
    );
  });
  parts.push('</svg>');
  return parts.join('\n');
}

function htmlTerms(id: string, terms: Array<[string, string]>): string {
  return `<dl id="${id}" class="terms">\n${terms.map(([t, d]) => `<dt>${esc(t)}</dt><dd>${esc(d)}</dd>`).join('\n')}\n</dl>`;
}

export function htmlReport(
  summary: DryRunSummary,
  projections: PeriodProjection[],
  localDate: (iso: string) => string,
): string {
  const first = summary.events.first_at === null ? null : localDate(summary.events.first_at);
  const last = summary.events.last_at === null ? null : localDate(summary.events.last_at);
  const rows = (cells: string[], num: boolean[] = []) =>
    `<tr>${cells.map((c, i) => `<td${num[i] ? ' class="num"' : ''}>${c}</td>`).join('')}</tr>`;
  const head = (cells: string[]) => `<tr>${cells.map((c) => `<th>${c}</th>`).join('')}</tr>`;
  const budgets = budgetTable(summary, projections);
  const budgetSection =
    summary.budgets.length === 0
      ? `<p id="no-budgets">${esc(NO_BUDGETS)}</p>`
      : `<h2>Issued per day</h2>
${byUnit(summary.budgets)
  .map(([unit, bs]) => burnChartSvg(unit, bs, first, last))
  .join('\n')}
<h2>When each budget runs out</h2>
<table id="projections">
${head(budgets.headers)}
${budgets.rows.map((r) => rows(r.map(esc), [false, false, true, true, true, true, true, true, false])).join('\n')}
</table>
${htmlTerms('budget-terms', BUDGET_TERMS)}`;
  const pointsSection =
    summary.points === null
      ? ''
      : `<h2>Points programme</h2>
<table id="points">
${head(['Points', 'Over the replay'])}
${pointsRows(summary.points)
  .map(([k, v]) => rows([esc(k), esc(v)], [false, true]))
  .join('\n')}
</table>
${htmlTerms('points-terms', POINTS_TERMS)}`;
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
#projections td:not(:last-child), #rules td:nth-child(n+3), #points td { white-space: nowrap; }
svg.burn-chart { display: block; margin: 1rem 0; }
dl.terms { max-width: 60rem; display: grid; grid-template-columns: max-content 1fr; gap: 2px 12px; font-size: 14px; }
dl.terms dt { font-weight: 600; }
dl.terms dd { margin: 0; }
</style>
</head>
<body>
<h1>Backtest: budget burn</h1>
<p>${fmt(summary.events.processed)} events from ${esc(first ?? '—')} to ${esc(last ?? '—')} (time zone ${esc(summary.timezone)}), ${fmt(summary.events.rejected)} rejected. Money in ${esc(summary.currency)}.</p>
${budgetSection}
${pointsSection}
<h2>Rewards per rule</h2>
<table id="rules">
${head(['Rule', 'Reward', 'Issued', 'Quantity', 'Value', 'Cost', 'Outcomes'])}
${summary.rules
  .map((r) =>
    rows(
      [
        esc(r.rule_name),
        esc(r.reward),
        fmt(r.issuances),
        fmt(r.quantity),
        esc(ruleAmount(r.value, r.value_unit)),
        esc(ruleAmount(r.cost, r.cost_unit)),
        esc(
          Object.entries(r.outcomes)
            .map(([k, v]) => `${k} ${v}`)
            .join(', '),
        ),
      ],
      [false, false, true, true, true, true, false],
    ),
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
  const terms = (list: Array<[string, string]>) => list.map(([t, d]) => `- **${t}**: ${d}`);
  lines.push('# Backtest: budget burn', '');
  lines.push(
    `${fmt(summary.events.processed)} events from ${first} to ${last} (time zone ${summary.timezone}), ${fmt(summary.events.rejected)} rejected. Money in ${summary.currency}.`,
    '',
  );
  lines.push('## When each budget runs out', '');
  if (summary.budgets.length === 0) {
    lines.push(NO_BUDGETS, '');
  } else {
    const t = budgetTable(summary, projections);
    lines.push(`| ${t.headers.join(' | ')} |`);
    lines.push('| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |');
    for (const r of t.rows) lines.push(`| ${r.join(' | ')} |`);
    lines.push('', ...terms(BUDGET_TERMS), '');
    lines.push('## Issued per day', '');
    for (const b of summary.budgets) {
      lines.push(
        `### ${b.name} (limit ${formatAmount(b.limit, b.unit)} per ${b.period === 'none' ? 'budget' : b.period})`,
        '',
      );
      lines.push('| Date | Issued |', '| --- | ---: |');
      for (const d of b.daily) lines.push(`| ${d.date} | ${formatAmount(d.cost, b.unit)} |`);
      if (b.daily.length === 0) lines.push(`| — | ${formatAmount(0, b.unit)} |`);
      lines.push('');
    }
  }
  if (summary.points !== null) {
    lines.push('## Points programme', '', '| Points | Over the replay |', '| --- | ---: |');
    for (const [k, v] of pointsRows(summary.points)) lines.push(`| ${k} | ${v} |`);
    lines.push('', ...terms(POINTS_TERMS), '');
  }
  lines.push('## Rewards per rule', '');
  lines.push(
    '| Rule | Reward | Issued | Quantity | Value | Cost |',
    '| --- | --- | ---: | ---: | ---: | ---: |',
  );
  for (const r of summary.rules)
    lines.push(
      `| ${r.rule_name} | ${r.reward} | ${fmt(r.issuances)} | ${fmt(r.quantity)} | ${ruleAmount(r.value, r.value_unit)} | ${ruleAmount(r.cost, r.cost_unit)} |`,
    );
  return `${lines.join('\n')}\n`;
}
