import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Link } from 'wouter';
import { Confirm } from '../components/confirm.js';
import { SubmitForm } from '../components/form.js';
import { DataTable, QueryList } from '../components/list.js';
import { Pager, usePagedQuery, usePager } from '../components/pager.js';
import { ErrorMessage, Field, Loading, Notice, Section } from '../components/ui.js';
import type { Page } from '../lib/api.js';
import { outcomeText } from '../lib/counter.js';
import {
  classifySearch,
  confirmsErasure,
  customerLabel,
  erasureConfirmation,
  exportFileName,
  type SearchInput,
} from '../lib/customers.js';
import { dateInZone, formatMoney, formatPoints, formatTime } from '../lib/format.js';
import { can } from '../lib/session.js';
import { useTenant } from '../lib/session-context.js';
import type { Customer, Issuance, LoyaltyEvent, PointsLedgerEntry } from '../lib/types.js';
import { useRewards } from './Counter.js';

type Status = '' | 'active' | 'blocked' | 'erased';

const PAGE = 25;

/**
 * The customer list, newest first. A search first tries the exact lookups a phone or a reference
 * allows, then the `q` search (phone digits, external_ref prefix, name).
 */
export function Customers() {
  const { session, api } = useTenant();
  const tz = session.tenant.timezone;
  const [text, setText] = useState('');
  const [status, setStatus] = useState<Status>('');
  const [search, setSearch] = useState<{ input: SearchInput; status: Status }>({
    input: { kind: 'none' },
    status: '',
  });
  const pager = usePager();
  const list = useQuery({
    queryKey: ['customers', search, pager.cursor],
    queryFn: async (): Promise<Page<Customer> & { exact?: boolean }> => {
      const { input } = search;
      const base = { limit: PAGE, status: search.status || undefined };
      if (input.kind === 'phone') {
        const page = await api.get<Page<Customer>>('/customers', { ...base, phone: input.phone });
        return { ...page, exact: true };
      }
      if (input.kind === 'ref' && pager.cursor === undefined) {
        const page = await api.get<Page<Customer>>('/customers', {
          ...base,
          external_ref: input.externalRef,
        });
        if (page.items.length > 0) return { ...page, exact: true };
      }
      const q = input.kind === 'ref' || input.kind === 'text' ? input.q : undefined;
      return api.get<Page<Customer>>('/customers', { ...base, q, cursor: pager.cursor });
    },
  });
  const searching = search.input.kind !== 'none' || search.status !== '';
  return (
    <div>
      <h1>Customers</h1>
      <Section title="Find customers">
        <SubmitForm
          className="inline"
          onSubmit={() => {
            pager.reset();
            setSearch({ input: classifySearch(text), status });
          }}
        >
          <Field
            label="Search"
            field="q"
            error={list.error}
            hint="Phone (+233…) or its digits, reference, or name"
          >
            {(p) => <input {...p} type="search" value={text} onChange={(e) => setText(e.target.value)} />}
          </Field>
          <Field label="Status" field="status" error={list.error}>
            {(p) => (
              <select {...p} value={status} onChange={(e) => setStatus(e.target.value as Status)}>
                <option value="">Any</option>
                <option value="active">Active</option>
                <option value="blocked">Blocked</option>
                <option value="erased">Erased</option>
              </select>
            )}
          </Field>
          <button type="submit">Search</button>
          {searching && (
            <button
              type="button"
              className="secondary"
              onClick={() => {
                setText('');
                setStatus('');
                pager.reset();
                setSearch({ input: { kind: 'none' }, status: '' });
              }}
            >
              Clear
            </button>
          )}
        </SubmitForm>
      </Section>
      <Section title={searching ? 'Results' : 'Newest customers'}>
        <QueryList
          query={list}
          what="customers"
          empty={searching ? 'No customer matches.' : 'No customer yet.'}
        >
          {(items) => (
            <>
              {list.data?.exact && <p className="muted">Exact match.</p>}
              <DataTable
                columns={[
                  'Customer',
                  'Phone',
                  'Reference',
                  'Status',
                  { name: 'Points', num: true },
                  { name: 'Visits', num: true },
                  'Enrolled',
                ]}
              >
                {items.map((c) => (
                  <tr key={c.id}>
                    <td>
                      <Link href={`/customers/${c.id}`}>{customerLabel(c)}</Link>
                    </td>
                    <td>{c.phone ?? '—'}</td>
                    <td>{c.external_ref ?? '—'}</td>
                    <td>
                      <StatusBadge status={c.status} />
                    </td>
                    <td className="num">{c.stats.points_balance}</td>
                    <td className="num">{c.stats.counts.visit ?? 0}</td>
                    <td>{formatTime(c.enrolled_at, tz)}</td>
                  </tr>
                ))}
              </DataTable>
            </>
          )}
        </QueryList>
        <Pager
          label="Customers"
          pager={pager}
          nextCursor={list.data?.exact ? null : list.data?.next_cursor}
        />
      </Section>
    </div>
  );
}

function StatusBadge({ status }: { status: Customer['status'] }) {
  return <span className={`badge ${status === 'active' ? 'ok' : 'bad'}`}>{status}</span>;
}

/** Offers `text` as a file download (a Blob URL, revoked once the browser has it). */
function download(text: string, name: string) {
  const url = URL.createObjectURL(new Blob([text], { type: 'application/json' }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** One customer: profile and stats, block/unblock, export, erase, and their history. */
export function CustomerDetail({ id }: { id: string }) {
  const { session, api } = useTenant();
  const tz = session.tenant.timezone;
  const currency = session.tenant.settings.currency;
  const queryClient = useQueryClient();
  const customer = useQuery({
    queryKey: ['customer', id],
    queryFn: () => api.get<Customer>(`/customers/${id}`),
  });
  const [notice, setNotice] = useState<string | null>(null);
  const refresh = () => {
    void queryClient.invalidateQueries({ queryKey: ['customer', id] });
    void queryClient.invalidateQueries({ queryKey: ['customers'] });
  };
  const setStatus = useMutation({
    mutationFn: (status: 'active' | 'blocked') =>
      api.send<Customer>('POST', `/customers/${id}/status`, { status }),
    onSuccess: (c) => {
      queryClient.setQueryData(['customer', id], c);
      setNotice(
        c.status === 'blocked' ? `${customerLabel(c)} is blocked` : `${customerLabel(c)} is active again`,
      );
      refresh();
    },
  });
  const exportData = useMutation({
    mutationFn: () => api.text(`/customers/${id}/export`),
    onSuccess: (text) => {
      const c = customer.data;
      if (c === undefined) return;
      // Pretty-printed: the file is for people as much as for programs.
      let pretty = text;
      try {
        pretty = `${JSON.stringify(JSON.parse(text), null, 2)}\n`;
      } catch {
        // Keep the text as the server sent it.
      }
      const name = exportFileName(c, dateInZone(tz));
      download(pretty, name);
      setNotice(`Exported to ${name}`);
    },
  });
  const [erasing, setErasing] = useState(false);
  const [typed, setTyped] = useState('');
  const erase = useMutation({
    mutationFn: () => api.send<Customer>('POST', `/customers/${id}/erase`),
    onSuccess: (c) => {
      queryClient.setQueryData(['customer', id], c);
      setErasing(false);
      setTyped('');
      setNotice('The customer’s personal data is erased; their counts and ledgers stay.');
      refresh();
      void queryClient.invalidateQueries({ queryKey: ['events'] });
    },
  });

  if (customer.isPending) return <Loading what="the customer" />;
  if (customer.error)
    return (
      <div>
        <p>
          <Link href="/customers">← Customers</Link>
        </p>
        <ErrorMessage error={customer.error} />
      </div>
    );
  const c = customer.data;
  const role = session.role;
  const confirmation = erasureConfirmation(c);
  return (
    <div>
      <p>
        <Link href="/customers">← Customers</Link>
      </p>
      <h1>{customerLabel(c)}</h1>
      {notice && <Notice>{notice}</Notice>}
      <Section title="Profile" actions={<StatusBadge status={c.status} />}>
        <dl className="profile">
          <dt>Phone</dt>
          <dd>{c.phone ?? '—'}</dd>
          <dt>Reference</dt>
          <dd>{c.external_ref ?? '—'}</dd>
          <dt>Name</dt>
          <dd>{c.name ?? '—'}</dd>
          <dt>Birthday</dt>
          <dd>{c.birthday ?? '—'}</dd>
          <dt>Tags</dt>
          <dd>{c.tags.length > 0 ? c.tags.join(', ') : '—'}</dd>
          <dt>Enrolled</dt>
          <dd>{formatTime(c.enrolled_at, tz)}</dd>
          <dt>Last event</dt>
          <dd>{formatTime(c.last_event_at, tz)}</dd>
          <dt>Id</dt>
          <dd>
            <code>{c.id}</code>
          </dd>
        </dl>
        <div className="grid stats">
          <div className="stat">
            <div className="value">{formatPoints(c.stats.points_balance)}</div>
            <div className="label">Points balance</div>
          </div>
          <div className="stat">
            <div className="value">{formatMoney(c.stats.total_spend, currency)}</div>
            <div className="label">Total spend</div>
          </div>
          {Object.entries(c.stats.counts).map(([type, n]) => (
            <div className="stat" key={type}>
              <div className="value">{n}</div>
              <div className="label">{type} events</div>
            </div>
          ))}
        </div>
      </Section>

      {(can.customersWrite(role) || can.privacy(role)) && c.status !== 'erased' && (
        <Section title="Manage">
          <div className="actions">
            {can.customersWrite(role) && (
              <button
                type="button"
                className="secondary"
                disabled={setStatus.isPending}
                onClick={() => setStatus.mutate(c.status === 'blocked' ? 'active' : 'blocked')}
              >
                {c.status === 'blocked' ? 'Unblock' : 'Block'}
              </button>
            )}
            {can.privacy(role) && (
              <>
                <button
                  type="button"
                  className="secondary"
                  disabled={exportData.isPending}
                  onClick={() => exportData.mutate()}
                >
                  Export data (JSON)
                </button>
                <button type="button" className="danger" onClick={() => setErasing(true)} disabled={erasing}>
                  Erase…
                </button>
              </>
            )}
          </div>
          <ErrorMessage error={setStatus.error ?? exportData.error} />
          {erasing && (
            <Confirm
              question={`Erase ${customerLabel(c)} (${confirmation})? Their phone, name and other personal data are deleted for good; counts and ledgers stay.`}
              confirmLabel={`Erase ${confirmation}`}
              danger
              pending={erase.isPending || !confirmsErasure(typed, c)}
              onConfirm={() => erase.mutate()}
              onCancel={() => {
                setErasing(false);
                setTyped('');
                erase.reset();
              }}
            >
              <Field label={`Type ${confirmation} to confirm`} error={erase.error}>
                {(p) => (
                  <input {...p} autoComplete="off" value={typed} onChange={(e) => setTyped(e.target.value)} />
                )}
              </Field>
              <ErrorMessage error={erase.error} />
            </Confirm>
          )}
        </Section>
      )}
      {c.status === 'erased' && can.privacy(role) && (
        <p className="muted">This customer was erased: there is nothing personal left to export.</p>
      )}

      <EventsHistory customerId={id} />
      <IssuancesHistory customerId={id} />
      <PointsHistory customerId={id} />
    </div>
  );
}

/** The names of the rewards of a customer's issuances, by issuance id (for the events' outcomes). */
function useIssuanceNames(customerId: string) {
  const { api } = useTenant();
  const rewards = useRewards(api);
  const issuances = useQuery({
    queryKey: ['issuances', { customer_id: customerId, all: true }],
    queryFn: () => api.get<Page<Issuance>>('/issuances', { customer_id: customerId, limit: 200 }),
  });
  const names = new Map<string, string>();
  for (const i of issuances.data?.items ?? []) {
    names.set(i.id, rewards.data?.get(i.reward_id)?.name ?? 'Reward');
  }
  return names;
}

function EventsHistory({ customerId }: { customerId: string }) {
  const { session } = useTenant();
  const tz = session.tenant.timezone;
  const currency = session.tenant.settings.currency;
  const names = useIssuanceNames(customerId);
  const mine = { customer_id: customerId };
  const { pager, page: events } = usePagedQuery<LoyaltyEvent>(['events', mine], '/events', mine, PAGE);
  return (
    <Section title="Events">
      <QueryList query={events} what="events" empty="No event yet.">
        {(items) => (
          <DataTable label="Events" columns={['When', 'Type', { name: 'Amount', num: true }, 'Outcome']}>
            {items.map((e) => (
              <tr key={e.id}>
                <td>{formatTime(e.occurred_at, tz)}</td>
                <td>{e.type}</td>
                <td className="num">
                  {typeof e.data.amount === 'number' ? formatMoney(e.data.amount, currency) : '—'}
                </td>
                <td>{outcomeText(e.outcome?.decisions, names)}</td>
              </tr>
            ))}
          </DataTable>
        )}
      </QueryList>
      <Pager label="Events" pager={pager} nextCursor={events.data?.next_cursor} />
    </Section>
  );
}

function IssuancesHistory({ customerId }: { customerId: string }) {
  const { session, api } = useTenant();
  const tz = session.tenant.timezone;
  const rewards = useRewards(api);
  const mine = { customer_id: customerId };
  const { pager, page: issuances } = usePagedQuery<Issuance>(['issuances', mine], '/issuances', mine, PAGE);
  return (
    <Section title="Rewards">
      <QueryList query={issuances} what="rewards" empty="No reward yet.">
        {(items) => (
          <DataTable label="Rewards" columns={['Reward', 'State', 'Code', 'Earned', 'Expires', 'Redeemed']}>
            {items.map((i) => {
              const reward = rewards.data?.get(i.reward_id);
              return (
                <tr key={i.id}>
                  <td>
                    {reward?.name ?? 'Reward'}
                    {reward?.type === 'points' && ` (${formatPoints(i.value)})`}
                    {i.quantity > 1 && ` × ${i.quantity}`}
                  </td>
                  <td>
                    <span
                      className={`badge ${i.state === 'issued' || i.state === 'redeemed' ? 'ok' : 'warn'}`}
                    >
                      {i.state}
                    </span>
                  </td>
                  <td>{i.code ? <code>{i.code}</code> : '—'}</td>
                  <td>{formatTime(i.earned_at, tz)}</td>
                  <td>{formatTime(i.expires_at, tz)}</td>
                  <td>{formatTime(i.redeemed_at, tz)}</td>
                </tr>
              );
            })}
          </DataTable>
        )}
      </QueryList>
      <Pager label="Rewards" pager={pager} nextCursor={issuances.data?.next_cursor} />
    </Section>
  );
}

const LEDGER_KIND: Record<PointsLedgerEntry['kind'], string> = {
  earn: 'Earned',
  redeem: 'Spent',
  expire: 'Expired',
  adjust: 'Adjusted',
};

function PointsHistory({ customerId }: { customerId: string }) {
  const { session } = useTenant();
  const tz = session.tenant.timezone;
  const { pager, page: ledger } = usePagedQuery<PointsLedgerEntry>(
    ['points', customerId, 'history'],
    `/customers/${customerId}/points/history`,
    {},
    PAGE,
  );
  return (
    <Section title="Points ledger">
      <QueryList query={ledger} what="the points ledger" empty="No points yet.">
        {(items) => (
          <DataTable label="Points ledger" columns={['When', 'Entry', { name: 'Points', num: true }]}>
            {items.map((l) => (
              <tr key={l.id}>
                <td>{formatTime(l.at, tz)}</td>
                <td>{LEDGER_KIND[l.kind]}</td>
                <td className="num">{l.amount > 0 ? `+${l.amount}` : l.amount}</td>
              </tr>
            ))}
          </DataTable>
        )}
      </QueryList>
      <Pager label="Points ledger" pager={pager} nextCursor={ledger.data?.next_cursor} />
    </Section>
  );
}
