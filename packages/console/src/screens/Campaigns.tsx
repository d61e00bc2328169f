import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { DateTimeField, FormFooter, OptionalSelect, SubmitForm } from '../components/form.js';
import { DataTable, QueryList, RowAction } from '../components/list.js';
import {
  type Budget,
  type Campaign,
  Editor,
  useCanWrite,
  useList,
  useSaveItem,
} from '../components/setup.js';
import { ErrorMessage, Field, Section } from '../components/ui.js';
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
      <Editor noun="campaign" editing={editing} onEdit={setEditing}>
        {(campaign, done) => (
          <CampaignForm campaign={campaign} budgets={budgets.data?.items ?? []} onDone={done} />
        )}
      </Editor>
      <Section title="Campaigns">
        <QueryList query={campaigns} what="campaigns" empty="No campaigns yet.">
          {(items) => (
            <>
              <ErrorMessage error={transition.error} />
              <DataTable
                columns={['Name', 'State', 'Starts', 'Ends', 'Budget', { name: 'Actions', hidden: true }]}
              >
                {items.map((c) => (
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
                            <RowAction verb="Edit" of={c.name} onClick={() => setEditing(c)} />
                          )}
                          {ACTIONS[c.status].map((action) => (
                            <RowAction
                              key={action}
                              verb={ACTION_LABEL[action]}
                              of={c.name}
                              className={action === 'end' ? 'secondary danger-text' : 'secondary'}
                              disabled={transition.isPending}
                              onClick={() => transition.mutate({ campaign: c, action })}
                            />
                          ))}
                        </div>
                      )}
                    </td>
                  </tr>
                ))}
              </DataTable>
            </>
          )}
        </QueryList>
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
  const { session } = useTenant();
  const timeZone = session.tenant.timezone;
  const [name, setName] = useState(campaign?.name ?? '');
  const [startsAt, setStartsAt] = useState(isoToLocalInput(campaign?.starts_at, timeZone));
  const [endsAt, setEndsAt] = useState(isoToLocalInput(campaign?.ends_at, timeZone));
  const [budgetId, setBudgetId] = useState(campaign?.budget_id ?? '');
  const save = useSaveItem<Campaign>('campaigns', campaign?.id ?? null, onDone, () => ({
    body: {
      name,
      starts_at: localInputToIso(startsAt, timeZone),
      ends_at: localInputToIso(endsAt, timeZone),
      budget_id: budgetId === '' ? null : budgetId,
    },
  }));
  const error = save.error;
  return (
    <SubmitForm onSubmit={save.mutate}>
      <Field label="Name" field="name" error={error}>
        {(p) => <input {...p} value={name} onChange={(e) => setName(e.target.value)} />}
      </Field>
      <DateTimeField
        label="Starts"
        field="starts_at"
        error={error}
        hint={`In ${timeZone}; empty: no start date`}
        value={startsAt}
        onChange={setStartsAt}
      />
      <DateTimeField
        label="Ends"
        field="ends_at"
        error={error}
        hint={`In ${timeZone}; empty: no end date`}
        value={endsAt}
        onChange={setEndsAt}
      />
      <OptionalSelect
        label="Budget"
        field="budget_id"
        error={error}
        hint="Charged by the campaign's rules that name no budget of their own"
        value={budgetId}
        onChange={setBudgetId}
        options={budgets.map((b) => ({ id: b.id, label: b.name }))}
      />
      {campaign === null && <p className="muted">A new campaign is a draft until you activate it.</p>}
      <FormFooter
        submit={campaign === null ? 'Create campaign' : 'Save campaign'}
        pending={save.isPending}
        error={error}
        onCancel={onDone}
      />
    </SubmitForm>
  );
}
