import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Confirm } from '../components/confirm.js';
import { SubmitForm } from '../components/form.js';
import { DataTable, QueryList } from '../components/list.js';
import { Pager, usePagedQuery, usePager } from '../components/pager.js';
import { ErrorMessage, Field, fieldError, Notice, Section } from '../components/ui.js';
import { newIdempotencyKey, type Page } from '../lib/api.js';
import { formatTime } from '../lib/format.js';
import { useTenant } from '../lib/session-context.js';
import type { WebhookDelivery, WebhookDeliveryWithAttempts, WebhookSubscription } from '../lib/types.js';
import { deliverySummary, WEBHOOK_EVENT_TYPES } from '../lib/webhooks.js';

type Subscription = Omit<WebhookSubscription, 'secret' | 'previous_secret'>;
type WithSecret = Subscription & { secret: string };

/** A signing secret, shown once (at creation or rotation) with what to do with it. */
function Secret({ what, secret, onDone }: { what: string; secret: string; onDone: () => void }) {
  return (
    <div className="secret-shown">
      <Notice>
        {what} Its signing secret, shown only now — store it where your receiver verifies signatures:{' '}
        <code className="secret" data-testid="webhook-secret">
          {secret}
        </code>
      </Notice>
      <button type="button" className="secondary" onClick={onDone}>
        I have stored it: hide the secret
      </button>
    </div>
  );
}

function CreateWebhook({ onCreated }: { onCreated: (w: WithSecret) => void }) {
  const { api } = useTenant();
  const queryClient = useQueryClient();
  const [url, setUrl] = useState('');
  const [events, setEvents] = useState<string[]>([]);
  const create = useMutation({
    mutationFn: (key: string) => api.send<WithSecret>('POST', '/webhooks', { url, events }, key),
    onSuccess: (w) => {
      onCreated(w);
      setUrl('');
      setEvents([]);
      void queryClient.invalidateQueries({ queryKey: ['webhooks'] });
    },
  });
  return (
    <SubmitForm onSubmit={() => create.mutate(newIdempotencyKey('webhook'))}>
      <Field
        label="URL"
        field="url"
        error={create.error}
        hint="https, on a public address: deliveries are POSTed here, signed"
      >
        {(p) => (
          <input
            {...p}
            type="url"
            inputMode="url"
            autoComplete="off"
            placeholder="https://example.com/laas-hooks"
            value={url}
            onChange={(e) => setUrl(e.target.value)}
            required
          />
        )}
      </Field>
      <fieldset className="event-types">
        <legend>Event types (none ticked: all of them)</legend>
        {WEBHOOK_EVENT_TYPES.map((type) => (
          <label key={type} className="check">
            <input
              type="checkbox"
              checked={events.includes(type)}
              onChange={(e) =>
                setEvents((list) => (e.target.checked ? [...list, type] : list.filter((t) => t !== type)))
              }
            />{' '}
            {type}
          </label>
        ))}
        {fieldError(create.error, 'events') && (
          <small className="field-error" role="alert">
            {fieldError(create.error, 'events')}
          </small>
        )}
      </fieldset>
      <div className="actions">
        <button type="submit" disabled={create.isPending}>
          Create subscription
        </button>
      </div>
      {/* Errors the fields above do not show (the URL's own is at its field). */}
      {create.error && !fieldError(create.error, 'url') && <ErrorMessage error={create.error} />}
    </SubmitForm>
  );
}

function Deliveries({ webhook }: { webhook: Subscription }) {
  const { session, api } = useTenant();
  const tz = session.tenant.timezone;
  const queryClient = useQueryClient();
  const pager = usePager();
  const deliveries = useQuery({
    queryKey: ['webhook-deliveries', webhook.id, pager.cursor],
    queryFn: () =>
      api.get<Page<WebhookDeliveryWithAttempts>>(`/webhooks/${webhook.id}/deliveries`, {
        limit: 20,
        cursor: pager.cursor,
      }),
    // While something is on its way, watch it arrive.
    refetchInterval: (query) => (query.state.data?.items.some((d) => d.status === 'pending') ? 1000 : false),
  });
  const [replayed, setReplayed] = useState<string | null>(null);
  const replay = useMutation({
    mutationFn: (d: WebhookDeliveryWithAttempts) =>
      api.send<WebhookDelivery>(
        'POST',
        `/webhooks/${webhook.id}/deliveries/${d.id}/replay`,
        undefined,
        newIdempotencyKey('replay'),
      ),
    onSuccess: (d) => {
      setReplayed(`Replay queued: ${d.event_type}, same webhook-id ${d.outbox_id}`);
      pager.reset();
      void queryClient.invalidateQueries({ queryKey: ['webhook-deliveries', webhook.id] });
    },
  });
  return (
    <div className="deliveries">
      <div className="card-header">
        <h3>Delivery log</h3>
        <button
          type="button"
          className="secondary"
          onClick={() => void queryClient.invalidateQueries({ queryKey: ['webhook-deliveries', webhook.id] })}
        >
          Refresh
        </button>
      </div>
      {replayed && <Notice>{replayed}</Notice>}
      <ErrorMessage error={replay.error} />
      <QueryList query={deliveries} what="deliveries" empty="Nothing sent yet.">
        {(items) => (
          <DataTable
            label={`Deliveries to ${webhook.url}`}
            columns={['Queued', 'Event', 'Status', 'Attempts', { name: 'Replay', hidden: true }]}
          >
            {items.map((d) => (
              <tr key={d.id} data-status={d.status}>
                <td>{formatTime(d.created_at, tz)}</td>
                <td>
                  <code>{d.event_type}</code>
                </td>
                <td>
                  <span
                    className={`badge ${d.status === 'delivered' ? 'ok' : d.status === 'failed' ? 'bad' : 'warn'}`}
                  >
                    {d.status}
                  </span>{' '}
                  <small>{deliverySummary(d)}</small>
                </td>
                <td>
                  {d.attempt_log.length === 0 ? (
                    '—'
                  ) : (
                    <details>
                      <summary>
                        {d.attempt_log.length} {d.attempt_log.length === 1 ? 'attempt' : 'attempts'}
                      </summary>
                      <ol className="attempts">
                        {d.attempt_log.map((a) => (
                          <li key={a.id}>
                            {formatTime(a.at, tz)}:{' '}
                            {a.status_code === null ? 'no answer' : `HTTP ${a.status_code}`} in{' '}
                            {a.duration_ms} ms{a.error && ` — ${a.error}`}
                            {a.response_excerpt && <pre className="excerpt">{a.response_excerpt}</pre>}
                          </li>
                        ))}
                      </ol>
                    </details>
                  )}
                </td>
                <td>
                  <button
                    type="button"
                    className="secondary"
                    disabled={replay.isPending}
                    onClick={() => replay.mutate(d)}
                  >
                    Replay
                  </button>
                </td>
              </tr>
            ))}
          </DataTable>
        )}
      </QueryList>
      <Pager label="Deliveries" pager={pager} nextCursor={deliveries.data?.next_cursor} />
    </div>
  );
}

function WebhookItem({ webhook }: { webhook: Subscription }) {
  const { session, api } = useTenant();
  const tz = session.tenant.timezone;
  const queryClient = useQueryClient();
  const [open, setOpen] = useState(false);
  const [deleting, setDeleting] = useState(false);
  const [notice, setNotice] = useState<string | null>(null);
  const [secret, setSecret] = useState<string | null>(null);
  const refresh = () => void queryClient.invalidateQueries({ queryKey: ['webhooks'] });
  const toggle = useMutation({
    mutationFn: () => api.send<Subscription>('PATCH', `/webhooks/${webhook.id}`, { active: !webhook.active }),
    onSuccess: (w) => {
      setNotice(w.active ? 'Enabled' : 'Disabled: nothing is sent until it is enabled again');
      refresh();
    },
  });
  const rotate = useMutation({
    mutationFn: () =>
      api.send<WithSecret>(
        'POST',
        `/webhooks/${webhook.id}/rotate-secret`,
        undefined,
        newIdempotencyKey('rotate'),
      ),
    onSuccess: (w) => {
      setSecret(w.secret);
      setNotice(null);
      refresh();
    },
  });
  const test = useMutation({
    mutationFn: () =>
      api.send<WebhookDelivery>('POST', `/webhooks/${webhook.id}/test`, undefined, newIdempotencyKey('test')),
    onSuccess: () => {
      setNotice('Test message queued: see the delivery log');
      setOpen(true);
      void queryClient.invalidateQueries({ queryKey: ['webhook-deliveries', webhook.id] });
    },
  });
  const remove = useMutation({
    mutationFn: () => api.send<void>('DELETE', `/webhooks/${webhook.id}`),
    onSuccess: refresh,
  });
  const error = toggle.error ?? rotate.error ?? test.error;
  return (
    <li className="card webhook">
      <div className="card-header">
        <h2 className="webhook-url">{webhook.url}</h2>
        <span className={`badge ${webhook.active ? 'ok' : 'bad'}`}>
          {webhook.active ? 'active' : 'disabled'}
        </span>
      </div>
      <p>
        Events: {webhook.events.length === 0 ? 'all' : webhook.events.join(', ')}
        <br />
        <small className="muted">
          Created {formatTime(webhook.created_at, tz)}
          {webhook.failure_count > 0 && ` · ${webhook.failure_count} failed deliveries in a row`}
          {webhook.previous_secret_expires_at &&
            ` · the previous secret signs too until ${formatTime(webhook.previous_secret_expires_at, tz)}`}
        </small>
      </p>
      {webhook.disabled_reason && <p className="error">Disabled: {webhook.disabled_reason}</p>}
      <div className="actions">
        <button type="button" className="secondary" onClick={() => setOpen((o) => !o)} aria-expanded={open}>
          {open ? 'Hide deliveries' : 'Deliveries'}
        </button>
        <button type="button" className="secondary" disabled={test.isPending} onClick={() => test.mutate()}>
          Send test
        </button>
        <button
          type="button"
          className="secondary"
          disabled={toggle.isPending}
          onClick={() => toggle.mutate()}
        >
          {webhook.active ? 'Disable' : 'Enable'}
        </button>
        <button
          type="button"
          className="secondary"
          disabled={rotate.isPending}
          onClick={() => rotate.mutate()}
        >
          Rotate secret
        </button>
        <button type="button" className="danger" disabled={deleting} onClick={() => setDeleting(true)}>
          Delete…
        </button>
      </div>
      {notice && <Notice>{notice}</Notice>}
      {secret && (
        <Secret
          what="Secret rotated: the previous one keeps signing for 24 hours."
          secret={secret}
          onDone={() => setSecret(null)}
        />
      )}
      <ErrorMessage error={error} />
      {deleting && (
        <Confirm
          question={`Delete the subscription to ${webhook.url}? Nothing more is sent to it.`}
          confirmLabel="Delete"
          danger
          pending={remove.isPending}
          onConfirm={() => remove.mutate()}
          onCancel={() => {
            setDeleting(false);
            remove.reset();
          }}
        >
          <ErrorMessage error={remove.error} />
        </Confirm>
      )}
      {open && <Deliveries webhook={webhook} />}
    </li>
  );
}

/** Webhook subscriptions: create, enable/disable, rotate, test, delete; each one's delivery log. */
export function Webhooks() {
  const { pager, page: list } = usePagedQuery<Subscription>(['webhooks'], '/webhooks', {}, 50);
  const [created, setCreated] = useState<WithSecret | null>(null);
  return (
    <div>
      <h1>Webhooks</h1>
      <Section title="New subscription">
        <CreateWebhook onCreated={setCreated} />
        {created && (
          <Secret
            what={`Subscribed ${created.url}.`}
            secret={created.secret}
            onDone={() => setCreated(null)}
          />
        )}
      </Section>
      <h2 className="list-title">Subscriptions</h2>
      <QueryList query={list} what="subscriptions" empty="No subscription yet.">
        {(items) => (
          <ul className="webhooks">
            {items.map((w) => (
              <WebhookItem key={w.id} webhook={w} />
            ))}
          </ul>
        )}
      </QueryList>
      <Pager label="Subscriptions" pager={pager} nextCursor={list.data?.next_cursor} />
    </div>
  );
}
