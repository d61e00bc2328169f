import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { CheckboxField, FormFooter, SubmitForm } from '../components/form.js';
import { DataTable, QueryList, RowAction } from '../components/list.js';
import {
  ActiveBadge,
  type Budget,
  Editor,
  invalid,
  useCanWrite,
  useList,
  useSaveItem,
} from '../components/setup.js';
import { ErrorMessage, Field, Notice, Section } from '../components/ui.js';
import { newIdempotencyKey } from '../lib/api.js';
import { formatAmount } from '../lib/format.js';
import { useTenant } from '../lib/session-context.js';
import { amountInput, isMoneyUnit, parseAmount, periodKeyAt } from '../lib/setup.js';

interface BudgetPeriod {
  budget_id: string;
  period: string;
  limit: number;
  reserved: number;
  utilized: number;
  spent: number;
}

const PERIODS: Array<[Budget['period'], string]> = [
  ['month', 'monthly'],
  ['week', 'weekly'],
  ['day', 'daily'],
  ['year', 'yearly'],
  ['none', 'no period (one limit for all time)'],
];

/** Spending limits per period: list with the current period's counters, create, edit, top up. */
export function Budgets() {
  const canWrite = useCanWrite();
  const budgets = useList<Budget>('budgets');
  const [editing, setEditing] = useState<Budget | 'new' | null>(null);
  const [topUp, setTopUp] = useState<Budget | null>(null);
  return (
    <>
      <h1>Budgets</h1>
      <Editor noun="budget" editing={editing} onEdit={setEditing}>
        {(budget, done) => <BudgetForm budget={budget} onDone={done} />}
      </Editor>
      {canWrite && topUp !== null && (
        <Section title={`Top up ${topUp.name}`}>
          <TopUpForm key={topUp.id} budget={topUp} onDone={() => setTopUp(null)} />
        </Section>
      )}
      <Section title="Budgets">
        <QueryList query={budgets} what="budgets" empty="No budgets yet.">
          {(items) => (
            <DataTable
              columns={[
                'Name',
                { name: 'Limit', num: true },
                'Period',
                'Cap',
                'This period',
                'Status',
                { name: 'Actions', hidden: true },
              ]}
            >
              {items.map((b) => (
                <tr key={b.id}>
                  <td>{b.name}</td>
                  <td className="num">{formatAmount(b.limit, b.unit)}</td>
                  <td>{b.period === 'none' ? 'none' : PERIODS.find(([p]) => p === b.period)?.[1]}</td>
                  <td>
                    {b.hard_cap ? 'hard' : 'soft'}
                    {b.soft_cap_ratio !== null && (
                      <span className="muted"> · alert at {Math.round(b.soft_cap_ratio * 100)}%</span>
                    )}
                  </td>
                  <td>
                    <CurrentPeriod budget={b} />
                  </td>
                  <td>
                    <ActiveBadge active={b.active} />
                  </td>
                  <td>
                    {canWrite && (
                      <div className="actions">
                        <RowAction verb="Edit" of={b.name} onClick={() => setEditing(b)} />
                        <RowAction verb="Top up" of={b.name} onClick={() => setTopUp(b)} />
                      </div>
                    )}
                  </td>
                </tr>
              ))}
            </DataTable>
          )}
        </QueryList>
      </Section>
    </>
  );
}

/** The counters of the period now falls in (`GET .../budgets/:id/periods`). */
function CurrentPeriod({ budget }: { budget: Budget }) {
  const { api, session } = useTenant();
  const periods = useQuery({
    queryKey: ['budgets', budget.id, 'periods'],
    queryFn: () => api.get<{ items: BudgetPeriod[] }>(`/budgets/${budget.id}/periods`),
  });
  if (periods.isPending) return <span className="muted">…</span>;
  if (periods.error) return <ErrorMessage error={periods.error} />;
  const key = periodKeyAt(budget.period, session.tenant.timezone);
  const current = periods.data.items.find((p) => p.period === key);
  const f = (n: number) => formatAmount(n, budget.unit);
  if (current === undefined) {
    return (
      <span className="muted" data-testid="period">
        {key}: nothing committed of {f(budget.limit)}
      </span>
    );
  }
  return (
    <dl className="counters" data-testid="period">
      <dt>{current.period} limit</dt>
      <dd>{f(current.limit)}</dd>
      <dt>Reserved</dt>
      <dd>{f(current.reserved)}</dd>
      <dt>Utilized</dt>
      <dd>{f(current.utilized)}</dd>
      <dt>Spent</dt>
      <dd>{f(current.spent)}</dd>
    </dl>
  );
}

function BudgetForm({ budget, onDone }: { budget: Budget | null; onDone: () => void }) {
  const { session } = useTenant();
  const [name, setName] = useState(budget?.name ?? '');
  const [unit, setUnit] = useState(budget?.unit ?? session.tenant.settings.currency);
  const [limit, setLimit] = useState(budget ? amountInput(budget.limit, budget.unit) : '');
  const [period, setPeriod] = useState<Budget['period']>(budget?.period ?? 'month');
  const [hardCap, setHardCap] = useState(budget?.hard_cap ?? true);
  const [alertAt, setAlertAt] = useState(
    budget === null
      ? '80'
      : budget.soft_cap_ratio === null
        ? ''
        : String(Math.round(budget.soft_cap_ratio * 100)),
  );
  const [active, setActive] = useState(budget?.active ?? true);
  const save = useSaveItem<Budget>('budgets', budget?.id ?? null, onDone, () => {
    const parsedLimit = parseAmount(limit, unit);
    if (parsedLimit === null) {
      throw invalid(
        'limit',
        isMoneyUnit(unit) ? `enter an amount in ${unit}, like 50.00` : 'enter a whole number of points',
      );
    }
    let ratio: number | null = null;
    if (alertAt.trim() !== '') {
      const percent = Number(alertAt);
      if (!Number.isFinite(percent) || percent <= 0 || percent >= 100) {
        throw invalid('soft_cap_ratio', 'enter a percentage between 1 and 99, or leave empty for no alert');
      }
      ratio = percent / 100;
    }
    const body = { name, limit: parsedLimit, hard_cap: hardCap, soft_cap_ratio: ratio, active };
    return { body, created: { unit, period } };
  });
  const error = save.error;
  return (
    <SubmitForm onSubmit={save.mutate}>
      <Field label="Name" field="name" error={error}>
        {(p) => <input {...p} value={name} onChange={(e) => setName(e.target.value)} />}
      </Field>
      <Field
        label="Unit"
        field="unit"
        error={error}
        hint={budget ? 'The unit of a budget cannot change' : 'A currency code (money) or "points"'}
      >
        {(p) => (
          <input
            {...p}
            value={unit}
            disabled={budget !== null}
            onChange={(e) => setUnit(e.target.value === 'points' ? 'points' : e.target.value.toUpperCase())}
          />
        )}
      </Field>
      <Field
        label={isMoneyUnit(unit) ? `Limit per period (${unit})` : 'Limit per period (points)'}
        field="limit"
        error={error}
        hint={
          budget
            ? 'A new limit applies to periods not started yet; top up the current one'
            : isMoneyUnit(unit)
              ? 'e.g. 50.00'
              : undefined
        }
      >
        {(p) => <input {...p} inputMode="decimal" value={limit} onChange={(e) => setLimit(e.target.value)} />}
      </Field>
      <Field label="Period" field="period" error={error}>
        {(p) => (
          <select
            {...p}
            value={period}
            disabled={budget !== null}
            onChange={(e) => setPeriod(e.target.value as Budget['period'])}
          >
            {PERIODS.map(([value, label]) => (
              <option key={value} value={value}>
                {label}
              </option>
            ))}
          </select>
        )}
      </Field>
      <Field label="Cap" field="hard_cap" error={error}>
        {(p) => (
          <select
            {...p}
            value={hardCap ? 'hard' : 'soft'}
            onChange={(e) => setHardCap(e.target.value === 'hard')}
          >
            <option value="hard">hard: refuse rewards past the limit</option>
            <option value="soft">soft: allow going past the limit</option>
          </select>
        )}
      </Field>
      <Field
        label="Alert at (% of the limit)"
        field="soft_cap_ratio"
        error={error}
        hint="A budget.threshold webhook once per period; empty: no alert"
      >
        {(p) => (
          <input {...p} inputMode="numeric" value={alertAt} onChange={(e) => setAlertAt(e.target.value)} />
        )}
      </Field>
      <CheckboxField label="Active" checked={active} onChange={setActive} />
      <FormFooter
        submit={budget === null ? 'Create budget' : 'Save budget'}
        pending={save.isPending}
        error={error}
        onCancel={onDone}
      />
    </SubmitForm>
  );
}

function TopUpForm({ budget, onDone }: { budget: Budget; onDone: () => void }) {
  const { api } = useTenant();
  const queryClient = useQueryClient();
  const [amount, setAmount] = useState('');
  const topUp = useMutation({
    mutationFn: async () => {
      const parsed = parseAmount(amount, budget.unit);
      if (parsed === null || parsed === 0) {
        throw invalid(
          'amount',
          isMoneyUnit(budget.unit)
            ? `enter an amount in ${budget.unit}, like 20.00`
            : 'enter a whole number of points',
        );
      }
      return api.send<BudgetPeriod>(
        'POST',
        `/budgets/${budget.id}/top-up`,
        { amount: parsed },
        newIdempotencyKey('topup'),
      );
    },
    onSuccess: () => {
      setAmount('');
      void queryClient.invalidateQueries({ queryKey: ['budgets', budget.id, 'periods'] });
    },
  });
  return (
    <SubmitForm onSubmit={topUp.mutate}>
      <Field
        label={isMoneyUnit(budget.unit) ? `Amount (${budget.unit})` : 'Amount (points)'}
        field="amount"
        error={topUp.error}
        hint="Raises the current period's limit"
      >
        {(p) => (
          <input {...p} inputMode="decimal" value={amount} onChange={(e) => setAmount(e.target.value)} />
        )}
      </Field>
      <FormFooter
        submit="Top up"
        pending={topUp.isPending}
        error={topUp.error}
        onCancel={onDone}
        cancel="Close"
      />
      {topUp.data && (
        <Notice>
          Topped up: the limit of {topUp.data.period} is now {formatAmount(topUp.data.limit, budget.unit)}
        </Notice>
      )}
    </SubmitForm>
  );
}
