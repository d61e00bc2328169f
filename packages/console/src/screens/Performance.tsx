import { useQuery } from '@tanstack/react-query';
import { useMemo, useState } from 'react';
import { LineChart, type Series } from '../components/chart.js';
import { SubmitForm } from '../components/form.js';
import { ErrorMessage, Field, Loading, Section } from '../components/ui.js';
import {
  type Analytics,
  type BudgetBurn,
  cumulative,
  exhaustionText,
  shiftDate,
  usedPercent,
} from '../lib/analytics.js';
import { dateInZone, formatAmount, formatPoints } from '../lib/format.js';
import { useTenant } from '../lib/session-context.js';

const COLORS = ['#0b5cad', '#1b6e20', '#a4161a', '#8a5300', '#5b2a86', '#00626a'];
const count = (n: number) => n.toLocaleString('en');
/** A count axis has whole ticks only (no "0.5 events"). */
const countTick = (n: number) => (Number.isInteger(n) ? count(n) : '');

/** How the programme performs per day over a chosen range: GET /v1/tenants/:tid/analytics. */
export function Performance() {
  const { session, api } = useTenant();
  const zone = session.tenant.timezone;
  const today = dateInZone(zone);
  const [range, setRange] = useState({ from: shiftDate(today, -29), to: today });
  const [draft, setDraft] = useState(range);
  const analytics = useQuery({
    queryKey: ['analytics', session.tenant.id, range.from, range.to],
    queryFn: () => api.get<Analytics>('/analytics', range),
  });
  const data = analytics.data;
  return (
    <>
      <h1>Performance</h1>
      <SubmitForm className="inline" aria-label="Date range" onSubmit={() => setRange(draft)}>
        <Field label="From" field="from" error={analytics.error}>
          {(p) => (
            <input
              {...p}
              type="date"
              value={draft.from}
              onChange={(e) => setDraft({ ...draft, from: e.target.value })}
            />
          )}
        </Field>
        <Field label="To" field="to" error={analytics.error}>
          {(p) => (
            <input
              {...p}
              type="date"
              value={draft.to}
              onChange={(e) => setDraft({ ...draft, to: e.target.value })}
            />
          )}
        </Field>
        <button type="submit">Show</button>
        {[7, 30, 90].map((days) => (
          <button
            key={days}
            type="button"
            className="secondary"
            onClick={() => {
              const next = { from: shiftDate(today, -(days - 1)), to: today };
              setDraft(next);
              setRange(next);
            }}
          >
            Last {days} days
          </button>
        ))}
      </SubmitForm>
      {analytics.isPending && <Loading what="the figures" />}
      <ErrorMessage error={analytics.error} />
      {data && <Figures data={data} />}
    </>
  );
}

function Figures({ data }: { data: Analytics }) {
  const dates = useMemo(() => data.days.map((d) => d.date), [data]);
  const activity = useMemo<Series[]>(
    () => [
      { label: 'Events', values: data.days.map((d) => d.events), color: COLORS[0] as string },
      { label: 'Enrolments', values: data.days.map((d) => d.enrolments), color: COLORS[1] as string },
      { label: 'Rewards issued', values: data.days.map((d) => d.issued), color: COLORS[3] as string },
      { label: 'Rewards redeemed', values: data.days.map((d) => d.redeemed), color: COLORS[4] as string },
    ],
    [data],
  );
  const points = useMemo<Series[]>(
    () => [
      { label: 'Points earned', values: data.days.map((d) => d.points_earned), color: COLORS[1] as string },
      { label: 'Points spent', values: data.days.map((d) => d.points_spent), color: COLORS[0] as string },
      { label: 'Points expired', values: data.days.map((d) => d.points_expired), color: COLORS[2] as string },
    ],
    [data],
  );
  const t = data.totals;
  const hasPoints = t.points_earned + t.points_spent + t.points_expired + data.points_liability > 0;
  return (
    <>
      <Section title={`${data.from} to ${data.to} (${data.timezone})`}>
        <dl className="grid" aria-label="Totals over the range">
          <Stat label="Events" value={count(t.events)} />
          <Stat label="Enrolments" value={count(t.enrolments)} />
          <Stat label="Rewards issued" value={count(t.issued)} />
          <Stat label="Rewards redeemed" value={count(t.redeemed)} />
          <Stat label="Points earned" value={formatPoints(t.points_earned)} />
          <Stat label="Points spent" value={formatPoints(t.points_spent)} />
          <Stat label="Points expired" value={formatPoints(t.points_expired)} />
          <Stat label="Outstanding points (liability, now)" value={formatPoints(data.points_liability)} />
        </dl>
      </Section>
      <Section title="Activity per day">
        <LineChart
          title="Events, enrolments and rewards per day"
          dates={dates}
          series={activity}
          format={countTick}
        />
        {hasPoints && <LineChart title="Points per day" dates={dates} series={points} format={countTick} />}
        <details>
          <summary>The figures per day</summary>
          <DaysTable data={data} />
        </details>
      </Section>
      <Section title="Budgets">
        {data.budgets.length === 0 && <p className="muted">This programme has no active budget.</p>}
        {data.budgets.map((b) => (
          <BudgetChart key={b.id} budget={b} dates={dates} />
        ))}
      </Section>
      <Section title="Top rules by rewards issued">
        {data.top_rules.length === 0 ? (
          <p className="muted">No rule issued a reward in this range.</p>
        ) : (
          <table>
            <thead>
              <tr>
                <th scope="col">Rule</th>
                <th scope="col" className="num">
                  Rewards issued
                </th>
              </tr>
            </thead>
            <tbody>
              {data.top_rules.map((r) => (
                <tr key={r.rule_id}>
                  <td>{r.name}</td>
                  <td className="num">{count(r.issued)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Section>
    </>
  );
}

function Stat({ label, value }: { label: string; value: string }) {
  return (
    <div className="stat">
      <dt className="label">{label}</dt>
      <dd className="value">{value}</dd>
    </div>
  );
}

function BudgetChart({ budget, dates }: { budget: BudgetBurn; dates: string[] }) {
  const fmt = (n: number) => formatAmount(n, budget.unit);
  const series = useMemo<Series[]>(() => {
    const byDate = new Map(budget.days.map((d) => [d.date, d.amount]));
    const daily = dates.map((d) => byDate.get(d) ?? 0);
    return [
      { label: 'Charged per day', values: daily, color: COLORS[0] as string },
      { label: 'Charged, running total', values: cumulative(daily), color: COLORS[3] as string },
      {
        label: `Limit per ${budget.period}`,
        values: dates.map(() => budget.limit),
        color: COLORS[2] as string,
        dashed: true,
      },
    ];
  }, [budget, dates]);
  return (
    <div className="budget">
      <h3>{budget.name}</h3>
      <p>
        {fmt(budget.used)} of {fmt(budget.limit)} used in {budget.current_period} ({usedPercent(budget)}%),{' '}
        {fmt(budget.remaining)} left{budget.hard_cap ? ' (hard cap)' : ''}. {exhaustionText(budget)}
      </p>
      <LineChart
        title={`${budget.name}: charged against its limit`}
        dates={dates}
        series={series}
        format={fmt}
      />
    </div>
  );
}

function DaysTable({ data }: { data: Analytics }) {
  return (
    <table>
      <thead>
        <tr>
          <th scope="col">Day</th>
          <th scope="col" className="num">
            Events
          </th>
          <th scope="col" className="num">
            Enrolments
          </th>
          <th scope="col" className="num">
            Issued
          </th>
          <th scope="col" className="num">
            Redeemed
          </th>
          <th scope="col" className="num">
            Points earned
          </th>
          <th scope="col" className="num">
            Points spent
          </th>
          <th scope="col" className="num">
            Points expired
          </th>
        </tr>
      </thead>
      <tbody>
        {data.days.map((d) => (
          <tr key={d.date}>
            <th scope="row">{d.date}</th>
            <td className="num">{count(d.events)}</td>
            <td className="num">{count(d.enrolments)}</td>
            <td className="num">{count(d.issued)}</td>
            <td className="num">{count(d.redeemed)}</td>
            <td className="num">{count(d.points_earned)}</td>
            <td className="num">{count(d.points_spent)}</td>
            <td className="num">{count(d.points_expired)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
