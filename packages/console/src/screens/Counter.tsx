import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useRef, useState } from 'react';
import { Link } from 'wouter';
import { Confirm } from '../components/confirm.js';
import { FormFooter, SubmitForm } from '../components/form.js';
import { QueryList } from '../components/list.js';
import { ErrorMessage, Field, Loading, Notice, Section } from '../components/ui.js';
import { ApiError, type Client, newIdempotencyKey, type Page } from '../lib/api.js';
import {
  type IngestSummary,
  pointsCatalog,
  redeemable,
  summarizeIngest,
  summaryText,
} from '../lib/counter.js';
import { classifySearch } from '../lib/customers.js';
import { formatMoney, formatPoints, formatTime, parseMoney } from '../lib/format.js';
import { localError } from '../lib/local-error.js';
import { can } from '../lib/session.js';
import { useTenant } from '../lib/session-context.js';
import type { Customer, IngestResult, Issuance, Reward } from '../lib/types.js';

type CustomerRef =
  | { id: string }
  | { phone: string; name?: string }
  | { external_ref: string; name?: string };

/** One click of "Record visit" / "Record purchase": its key is reused only by a retry of that click. */
interface Attempt {
  key: string;
  type: 'visit' | 'purchase';
  customer: CustomerRef;
  data: Record<string, unknown>;
}

/** The tenant's rewards by id (names for issuances, the points catalog). */
export function useRewards(api: Client) {
  return useQuery({
    queryKey: ['rewards', 'all'],
    queryFn: async () => {
      const page = await api.get<Page<Reward>>('/rewards', { limit: 200 });
      return new Map(page.items.map((r) => [r.id, r]));
    },
  });
}

/**
 * Records visits and purchases with an idempotency key per click: a double tap sends one request
 * (the second tap finds one in flight), and "Retry" after a failure sends the same key again, so
 * the customer never earns twice for one visit.
 */
function useRecorder(api: Client, onRecorded: (result: IngestResult, attempt: Attempt) => void) {
  const queryClient = useQueryClient();
  const inFlight = useRef(false);
  const [failed, setFailed] = useState<Attempt | null>(null);
  const mutation = useMutation({
    mutationFn: (a: Attempt) =>
      api.send<IngestResult>(
        'POST',
        '/events',
        { idempotency_key: a.key, type: a.type, customer: a.customer, data: a.data },
        a.key,
      ),
    onSuccess: (result, attempt) => {
      setFailed(null);
      onRecorded(result, attempt);
      void queryClient.invalidateQueries({ queryKey: ['customer', result.customer_id] });
      void queryClient.invalidateQueries({ queryKey: ['issuances'] });
      void queryClient.invalidateQueries({ queryKey: ['events'] });
      void queryClient.invalidateQueries({ queryKey: ['points'] });
      void queryClient.invalidateQueries({ queryKey: ['customers'] });
    },
    onError: (_error, attempt) => setFailed(attempt),
    onSettled: () => {
      inFlight.current = false;
    },
  });
  const send = (attempt: Attempt) => {
    if (inFlight.current) return;
    inFlight.current = true;
    mutation.mutate(attempt);
  };
  return {
    pending: mutation.isPending,
    error: mutation.error,
    failed,
    /** A new click: a new key. */
    record: (type: Attempt['type'], customer: CustomerRef, data: Record<string, unknown> = {}) =>
      send({ key: newIdempotencyKey(type), type, customer, data }),
    /** The failed click again, with its key. */
    retry: () => failed && send(failed),
    reset: () => {
      setFailed(null);
      mutation.reset();
    },
  };
}

/** Who a till names in a confirmation: the phone the customer gave, else their reference or name. */
function who(c: Customer): string {
  return c.phone ?? c.external_ref ?? c.name ?? 'this customer';
}

function Outcome({ summary }: { summary: IngestSummary }) {
  const nothing = summary.earned.length === 0 && summary.points === 0;
  return (
    <div className="outcome" role="status" aria-label={summaryText(summary)}>
      <p className="notice">{summary.headline}</p>
      {summary.earned.length > 0 && (
        <div className="earned">
          <strong>Reward earned:</strong>
          <ul className="earned-list">
            {summary.earned.map((e) => (
              <li key={e}>{e}</li>
            ))}
          </ul>
        </div>
      )}
      {summary.points > 0 && <p className="earned-points">+{formatPoints(summary.points)}</p>}
      {nothing && <p className="muted">No reward this time.</p>}
      {summary.heldBack.length > 0 && (
        <ul className="held-back">
          {summary.heldBack.map((h) => (
            <li key={h}>{h}</li>
          ))}
        </ul>
      )}
      {summary.warnings.map((w) => (
        <p key={w} className="badge warn">
          Warning: {w}
        </p>
      ))}
    </div>
  );
}

/** Amount input and "Record purchase": the amount typed as money ("12.50"), sent in minor units. */
function PurchaseForm({
  currency,
  disabled,
  onRecord,
  apiError,
}: {
  currency: string;
  disabled: boolean;
  onRecord: (amount: number) => void;
  apiError: unknown;
}) {
  const [amount, setAmount] = useState('');
  const [error, setError] = useState<unknown>(null);
  return (
    <SubmitForm
      className="inline purchase"
      onSubmit={() => {
        const minor = parseMoney(amount, currency);
        if (minor === null) {
          setError(localError('data.amount', `Enter the amount as money, like 12.50 (${currency})`));
          return;
        }
        setError(null);
        onRecord(minor);
        setAmount('');
      }}
    >
      <Field label={`Purchase amount (${currency})`} field="data.amount" error={error ?? apiError}>
        {(p) => (
          <input
            {...p}
            inputMode="decimal"
            autoComplete="off"
            value={amount}
            onChange={(e) => setAmount(e.target.value)}
          />
        )}
      </Field>
      <button type="submit" disabled={disabled}>
        Record purchase
      </button>
    </SubmitForm>
  );
}

type Redemption =
  | { kind: 'issuance'; issuance: Issuance; name: string }
  | { kind: 'code'; code: string }
  | { kind: 'points'; reward: Reward; key: string };

function CustomerCard({
  customerId,
  recorder,
  summary,
  onRedeemed,
}: {
  customerId: string;
  recorder: ReturnType<typeof useRecorder>;
  summary: IngestSummary | null;
  /** A redemption replaces the last recording's result on screen. */
  onRedeemed: () => void;
}) {
  const { session, api } = useTenant();
  const currency = session.tenant.settings.currency;
  const tz = session.tenant.timezone;
  const queryClient = useQueryClient();
  const customer = useQuery({
    queryKey: ['customer', customerId],
    queryFn: () => api.get<Customer>(`/customers/${customerId}`),
  });
  const rewards = useRewards(api);
  const issued = useQuery({
    queryKey: ['issuances', { customer_id: customerId, state: 'issued' }],
    queryFn: () =>
      api.get<Page<Issuance>>('/issuances', { customer_id: customerId, state: 'issued', limit: 100 }),
  });
  const [confirming, setConfirming] = useState<Redemption | null>(null);
  const [redeemed, setRedeemed] = useState<string | null>(null);
  const [code, setCode] = useState('');
  const redeem = useMutation({
    mutationFn: async (r: Redemption) => {
      if (r.kind === 'issuance') return api.send<Issuance>('POST', `/issuances/${r.issuance.id}/redeem`);
      if (r.kind === 'code') return api.send<Issuance>('POST', '/issuances/redeem', { code: r.code });
      return api.send<Issuance>(
        'POST',
        `/customers/${customerId}/points/redeem`,
        { reward_id: r.reward.id },
        r.key,
      );
    },
    onSuccess: (issuance, r) => {
      const name = rewards.data?.get(issuance.reward_id)?.name ?? 'Reward';
      const c = customer.data;
      const verb =
        r.kind === 'points'
          ? `Bought ${name} with ${formatPoints(r.reward.points_price ?? 0)}`
          : `Redeemed ${name}`;
      setRedeemed(
        `${verb}${c ? ` for ${who(c)}` : ''} at ${formatTime(issuance.redeemed_at ?? issuance.issued_at, tz)}${
          issuance.code && r.kind === 'points' ? `, code ${issuance.code}` : ''
        }`,
      );
      setConfirming(null);
      setCode('');
      onRedeemed();
      void queryClient.invalidateQueries({ queryKey: ['issuances'] });
      void queryClient.invalidateQueries({ queryKey: ['customer', customerId] });
      void queryClient.invalidateQueries({ queryKey: ['points'] });
    },
  });
  const ask = (r: Redemption) => {
    redeem.reset();
    setRedeemed(null);
    setConfirming(r);
  };

  if (customer.isPending) return <Loading what="the customer" />;
  if (customer.error) return <ErrorMessage error={customer.error} />;
  const c = customer.data;
  const rewardMap = rewards.data ?? new Map<string, Reward>();
  const list = issued.data ? redeemable(issued.data.items, rewardMap) : [];
  const catalog = pointsCatalog(rewardMap.values(), c.stats.points_balance);
  const blocked = c.status !== 'active';
  const busy = recorder.pending;

  return (
    <>
      <Section
        title={c.name ?? c.phone ?? c.external_ref ?? 'Customer'}
        actions={<span className={`badge ${c.status === 'active' ? 'ok' : 'bad'}`}>{c.status}</span>}
      >
        <p className="counter-who">
          {c.phone && <span>{c.phone}</span>}
          {c.external_ref && <span>Ref {c.external_ref}</span>}
          <Link href={`/customers/${c.id}`}>History</Link>
        </p>
        <dl className="counter-stats" aria-label="Customer stats">
          <div>
            <dt>Points</dt>
            <dd data-testid="points-balance">{formatPoints(c.stats.points_balance)}</dd>
          </div>
          <div>
            <dt>Visits</dt>
            <dd data-testid="visit-count">{c.stats.counts.visit ?? 0}</dd>
          </div>
          <div>
            <dt>Purchases</dt>
            <dd>{c.stats.counts.purchase ?? 0}</dd>
          </div>
          <div>
            <dt>Spent</dt>
            <dd>{formatMoney(c.stats.total_spend, currency)}</dd>
          </div>
        </dl>
        {Object.entries(c.stats.counts)
          .filter(([type]) => type !== 'visit' && type !== 'purchase')
          .map(([type, n]) => (
            <p key={type} className="muted">
              {type}: {n}
            </p>
          ))}
      </Section>

      <Section title="Record">
        {blocked && <p className="error">This customer is {c.status}: events are refused.</p>}
        <div className="counter-actions">
          <button
            type="button"
            className="big"
            disabled={busy || blocked}
            onClick={() => {
              setRedeemed(null);
              recorder.record('visit', { id: c.id });
            }}
          >
            Record visit
          </button>
          <PurchaseForm
            currency={currency}
            disabled={busy || blocked}
            apiError={recorder.error}
            onRecord={(amount) => {
              setRedeemed(null);
              recorder.record('purchase', { id: c.id }, { amount });
            }}
          />
        </div>
        {busy && (
          <p className="muted" aria-live="polite">
            Recording…
          </p>
        )}
        {recorder.failed && !busy && (
          <div className="actions">
            <ErrorMessage error={recorder.error} />
            <button type="button" className="secondary" onClick={recorder.retry}>
              Retry the same {recorder.failed.type}
            </button>
          </div>
        )}
        {summary && !busy && <Outcome summary={summary} />}
      </Section>

      <Section title="Rewards to redeem">
        {redeemed && <Notice>{redeemed}</Notice>}
        <QueryList query={issued} items={list} what="rewards" empty="No reward waiting.">
          {(items) => (
            <ul className="redeem-list">
              {items.map((i) => {
                const name = rewardMap.get(i.reward_id)?.name ?? 'Reward';
                return (
                  <li key={i.id}>
                    <span>
                      <strong>{name}</strong>
                      {i.quantity > 1 && ` × ${i.quantity}`}
                      {i.code && <code> {i.code}</code>}
                      <small className="muted">
                        {' '}
                        earned {formatTime(i.earned_at, tz)}
                        {i.expires_at && `, expires ${formatTime(i.expires_at, tz)}`}
                      </small>
                    </span>
                    <button
                      type="button"
                      disabled={redeem.isPending}
                      onClick={() => ask({ kind: 'issuance', issuance: i, name })}
                    >
                      Redeem {name}
                    </button>
                  </li>
                );
              })}
            </ul>
          )}
        </QueryList>
        {confirming && (
          <Confirm
            question={
              confirming.kind === 'issuance'
                ? `Redeem ${confirming.name} for ${who(c)}?`
                : confirming.kind === 'code'
                  ? `Redeem code ${confirming.code} for ${who(c)}?`
                  : `Spend ${formatPoints(confirming.reward.points_price ?? 0)} of ${who(c)} on ${confirming.reward.name}?`
            }
            confirmLabel="Confirm"
            pending={redeem.isPending}
            onConfirm={() => redeem.mutate(confirming)}
            onCancel={() => {
              setConfirming(null);
              redeem.reset();
            }}
          >
            <ErrorMessage error={redeem.error} />
          </Confirm>
        )}
        <SubmitForm
          className="inline"
          onSubmit={() => {
            if (code.trim() === '') return;
            ask({ kind: 'code', code: code.trim() });
          }}
        >
          <Field label="Voucher code" field="code" error={confirming?.kind === 'code' ? redeem.error : null}>
            {(p) => (
              <input
                {...p}
                autoComplete="off"
                autoCapitalize="characters"
                value={code}
                onChange={(e) => setCode(e.target.value)}
              />
            )}
          </Field>
          <button type="submit" className="secondary">
            Redeem code
          </button>
        </SubmitForm>
      </Section>

      {catalog.length > 0 && (
        <Section title="Buy with points">
          <ul className="redeem-list">
            {catalog.map(({ reward, price, affordable }) => (
              <li key={reward.id}>
                <span>
                  <strong>{reward.name}</strong> <small className="muted">{formatPoints(price)}</small>
                </span>
                <button
                  type="button"
                  className="secondary"
                  disabled={!affordable || redeem.isPending}
                  onClick={() => ask({ kind: 'points', reward, key: newIdempotencyKey('points') })}
                >
                  {affordable ? `Buy ${reward.name}` : `Needs ${formatPoints(price)}`}
                </button>
              </li>
            ))}
          </ul>
        </Section>
      )}
    </>
  );
}

/** What the lookup found nothing for: enrol the customer (by a first event for a pos key). */
function Enroll({
  lookup,
  recorder,
  onEnrolled,
}: {
  lookup: { phone: string } | { external_ref: string };
  recorder: ReturnType<typeof useRecorder>;
  onEnrolled: (customer: Customer) => void;
}) {
  const { session, api } = useTenant();
  const [name, setName] = useState('');
  const [key] = useState(() => newIdempotencyKey('enroll'));
  const enroll = useMutation({
    mutationFn: () =>
      api.send<Customer>(
        'POST',
        '/customers',
        { ...lookup, ...(name.trim() === '' ? {} : { name: name.trim() }) },
        key,
      ),
    onSuccess: onEnrolled,
  });
  const label = 'phone' in lookup ? lookup.phone : `reference ${lookup.external_ref}`;
  const what = 'phone' in lookup ? `phone ${lookup.phone}` : `reference ${lookup.external_ref}`;
  const direct = can.customersWrite(session.role);
  const ref: CustomerRef = { ...lookup, ...(name.trim() === '' ? {} : { name: name.trim() }) };
  return (
    <Section title="Not enrolled yet">
      <p>
        No customer has the {what}. {direct ? 'Enroll them:' : 'Recording their first visit enrolls them:'}
      </p>
      <SubmitForm
        onSubmit={() => {
          if (direct) enroll.mutate();
          // After a failure, the same click again (its key): the first may have reached the server.
          else if (recorder.failed) recorder.retry();
          else recorder.record('visit', ref);
        }}
      >
        <Field
          label="Name (optional)"
          field={direct ? 'name' : 'customer.name'}
          error={direct ? enroll.error : recorder.error}
        >
          {(p) => (
            <input
              {...p}
              autoComplete="off"
              // A retry sends the same request: the name stays as it was sent.
              readOnly={!direct && recorder.failed !== null}
              value={name}
              onChange={(e) => setName(e.target.value)}
            />
          )}
        </Field>
        <Field
          label={'phone' in lookup ? 'Phone' : 'Reference'}
          field={
            direct
              ? 'phone' in lookup
                ? 'phone'
                : 'external_ref'
              : 'phone' in lookup
                ? 'customer.phone'
                : 'customer.external_ref'
          }
          error={direct ? enroll.error : recorder.error}
        >
          {(p) => <input {...p} readOnly value={'phone' in lookup ? lookup.phone : lookup.external_ref} />}
        </Field>
        <FormFooter
          submit={
            direct ? `Enroll ${label}` : recorder.failed ? 'Retry the same visit' : 'Enroll with a visit'
          }
          pending={direct ? enroll.isPending : recorder.pending}
          error={direct ? enroll.error : recorder.error}
        />
      </SubmitForm>
    </Section>
  );
}

/**
 * The till: find a customer by phone or reference (or enroll them), record a visit or purchase,
 * see what it earned, redeem rewards. Built for a phone held at the counter.
 */
export function Counter() {
  const { api } = useTenant();
  const rewards = useRewards(api);
  const [search, setSearch] = useState('');
  const [customerId, setCustomerId] = useState<string | null>(null);
  const [missing, setMissing] = useState<{ phone: string } | { external_ref: string } | null>(null);
  const [summary, setSummary] = useState<IngestSummary | null>(null);
  const recorder = useRecorder(api, (result, attempt) => {
    setSummary(summarizeIngest(result, attempt.type, rewards.data ?? new Map()));
    setCustomerId(result.customer_id);
    setMissing(null);
  });
  const find = useMutation({
    mutationFn: async (text: string) => {
      const input = classifySearch(text);
      if (input.kind === 'none') throw localError('lookup', 'Enter a phone number or a reference');
      const query = input.kind === 'phone' ? { phone: input.phone } : { external_ref: text.trim() };
      const page = await api.get<Page<Customer>>('/customers', { ...query, limit: 1 });
      return { query, found: page.items[0] ?? null };
    },
    onSuccess: ({ query, found }) => {
      setSummary(null);
      recorder.reset();
      if (found) {
        setCustomerId(found.id);
        setMissing(null);
      } else {
        setCustomerId(null);
        setMissing(query);
      }
    },
  });
  // The API names `phone` or `external_ref`; the form has one box for both.
  const lookupInvalid = find.error instanceof ApiError && find.error.code === 'VALIDATION_ERROR';
  const lookupError =
    find.error instanceof ApiError && lookupInvalid
      ? localError('lookup', find.error.at('phone') ?? find.error.at('external_ref') ?? find.error.message)
      : find.error;

  return (
    <div className="counter">
      <h1>Counter</h1>
      <Section title="Find a customer">
        <SubmitForm className="inline lookup" onSubmit={() => find.mutate(search)}>
          <Field
            label="Phone or reference"
            field="lookup"
            error={lookupError}
            hint="Phone with country code (+233 24 123 4567) or the customer's card / reference"
          >
            {(p) => (
              <input
                {...p}
                type="search"
                autoComplete="off"
                value={search}
                onChange={(e) => setSearch(e.target.value)}
              />
            )}
          </Field>
          <button type="submit" disabled={find.isPending}>
            Find
          </button>
        </SubmitForm>
        {!lookupInvalid && <ErrorMessage error={find.error} />}
      </Section>
      {missing && (
        <Enroll
          key={JSON.stringify(missing)}
          lookup={missing}
          recorder={recorder}
          onEnrolled={(c) => {
            setMissing(null);
            setCustomerId(c.id);
            setSummary(null);
          }}
        />
      )}
      {customerId && (
        <CustomerCard
          customerId={customerId}
          recorder={recorder}
          summary={summary}
          onRedeemed={() => setSummary(null)}
        />
      )}
    </div>
  );
}
