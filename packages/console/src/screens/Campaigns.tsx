import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { type Budget, type Campaign, useCanWrite, useList } from '../components/setup.js';
import { ErrorMessage, Field, Loading, Section } from '../components/ui.js';
import { newIdempotencyKey } from '../lib/api.js';
import { formatTime } from '../lib/format.js';
import { useTenant } from '../lib/session-context.js';
import { isoToLocalInput, localInputToIso } from '../lib/setup.js';

type Action = 'activate' | 'pause' | 'end';

/** What each state may move to: an ended campaign stays ended. */
const ACTIONS: Record<Campaign['status'], Action[]> = {
  draft: ['activate', 'end'],
  active: ['pause', 'end'],
  paused: ['activate', 'end'],
  ended: [],
};
const ACTION_LABEL: Record<Action, string> = { activate: 'Activate', pause: 'Pause', end: 'End' };
const STATUS_CLASS: Record<Campaign['status'], string> = {
  draft: '',
  active: 'ok',
  paused: 'warn',
  ended: 'bad',
};

/** Named groups of rules that run only while active and within their dates. */
export function Campaigns() {
  const { api, session } = useTenant();
  const timeZone = session.tenant.timezone;
  const canWrite = useCanWrite();
  const campaigns = useList<Campaign>('campaigns');
  const budgets = useList<Budget>('budgets');
  const queryClient = useQueryClient();
  const [editing, setEditing] = useState<Campaign | 'new' | null>(null);
  const transition = useMutation({
    mutationFn: ({ campaign, action }: { campaign: Campaign; action: Action }) =>
      api.send<Campaign>('POST', `/campaigns/${campaign.id}/${action}`),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ['campaigns'] }),
  });
  const budgetName = (id: string | null) =>
    id === null ? '—' : (budgets.data?.items.find((b) => b.id === id)?.name ?? id);
  return (
    <>
      <h1>Campaigns</h1>
      {canWrite && editing === null && (
        <p>
          <button type="button" onClick={() => setEditing('new')}>
            New campaign
          </button>
        </p>
      )}
      {canWrite && editing !== null && (
        <Section title={editing === 'new' ? 'New campaign' : `Edit ${editing.name}`}>
          <CampaignForm
            key={editing === 'new' ? 'new' : editing.id}
            campaign={editing === 'new' ? null : editing}
            budgets={budgets.data?.items ?? []}
            onDone={() => setEditing(null)}
          />
        </Section>
      )}
      <Section title="Campaigns">
        {campaigns.isPending && <Loading what="campaigns" />}
        <ErrorMessage error={campaigns.error} />
        <ErrorMessage error={transition.error} />
        {campaigns.data && campaigns.data.items.length === 0 && <p className="muted">No campaigns yet.</p>}
        {campaigns.data && campaigns.data.items.length > 0 && (
          <div className="table-scroll">
            <table>
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">State</th>
                  <th scope="col">Starts</th>
                  <th scope="col">Ends</th>
                  <th scope="col">Budget</th>
                  <th scope="col">
                    <span className="visually-hidden">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {campaigns.data.items.map((c) => (
                  <tr key={c.id}>
                    <td>{c.name}</td>
                    <td>
                      <span className={`badge ${STATUS_CLASS[c.status]}`} data-testid="campaign-state">
                        {c.status}
                      </span>
                    </td>
                    <td>{formatTime(c.starts_at, timeZone)}</td>
                    <td>{formatTime(c.ends_at, timeZone)}</td>
                    <td>{budgetName(c.budget_id)}</td>
                    <td>
                      {canWrite && (
                        <div className="actions">
                          {c.status !== 'ended' && (
                            <button
                              type="button"
                              className="secondary"
                              aria-label={`Edit ${c.name}`}
                              onClick={() => setEditing(c)}
                            >
                              Edit
                            </button>
                          )}
                          {ACTIONS[c.status].map((action) => (
                            <button
                              key={action}
                              type="button"
                              className={action === 'end' ? 'secondary danger-text' : 'secondary'}
                              aria-label={`${ACTION_LABEL[action]} ${c.name}`}
                              disabled={transition.isPending}
                              onClick={() => transition.mutate({ campaign: c, action })}
                            >
                              {ACTION_LABEL[action]}
                            </button>
                          ))}
                        </div>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </Section>
    </>
  );
}

function CampaignForm({
  campaign,
  budgets,
  onDone,
}: {
  campaign: Campaign | null;
  budgets: Budget[];
  onDone: () => void;
}) {
  const { api, session } = useTenant();
  const timeZone = session.tenant.timezone;
  const queryClient = useQueryClient();
  const [name, setName] = useState(campaign?.name ?? '');
  const [startsAt, setStartsAt] = useState(isoToLocalInput(campaign?.starts_at, timeZone));
  const [endsAt, setEndsAt] = useState(isoToLocalInput(campaign?.ends_at, timeZone));
  const [budgetId, setBudgetId] = useState(campaign?.budget_id ?? '');
  const save = useMutation({
    mutationFn: () => {
      const body = {
        name,
        starts_at: localInputToIso(startsAt, timeZone),
        ends_at: localInputToIso(endsAt, timeZone),
        budget_id: budgetId === '' ? null : budgetId,
      };
      return campaign === null
        ? api.send<Campaign>('POST', '/campaigns', body, newIdempotencyKey('campaign'))
        : api.send<Campaign>('PATCH', `/campaigns/${campaign.id}`, body);
    },
    onSuccess: () => {
      void queryClient.invalidateQueries({ queryKey: ['campaigns'] });
      onDone();
    },
  });
  const error = save.error;
  return (
    <form
      onSubmit={(e) => {
        e.preventDefault();
        save.mutate();
      }}
    >
      <Field label="Name" field="name" error={error}>
        {(p) => <input {...p} value={name} onChange={(e) => setName(e.target.value)} />}
      </Field>
      <Field label="Starts" field="starts_at" error={error} hint={`In ${timeZone}; empty: no start date`}>
        {(p) => (
          <input
            {...p}
            type="datetime-local"
            value={startsAt}
            onChange={(e) => setStartsAt(e.target.value)}
          />
        )}
      </Field>
      <Field label="Ends" field="ends_at" error={error} hint={`In ${timeZone}; empty: no end date`}>
        {(p) => (
          <input {...p} type="datetime-local" value={endsAt} onChange={(e) => setEndsAt(e.target.value)} />
        )}
      </Field>
      <Field
        label="Budget"
        field="budget_id"
        error={error}
        hint="Charged by the campaign's rules that name no budget of their own"
      >
        {(p) => (
          <select {...p} value={budgetId} onChange={(e) => setBudgetId(e.target.value)}>
            <option value="">none</option>
            {budgets.map((b) => (
              <option key={b.id} value={b.id}>
                {b.name}
              </option>
            ))}
          </select>
        )}
      </Field>
      {campaign === null && <p className="muted">A new campaign is a draft until you activate it.</p>}
      <div className="actions">
        <button type="submit" disabled={save.isPending}>
          {campaign === null ? 'Create campaign' : 'Save campaign'}
        </button>
        <button type="button" className="secondary" onClick={onDone}>
          Cancel
        </button>
      </div>
      <ErrorMessage error={error} />
    </form>
  );
}
