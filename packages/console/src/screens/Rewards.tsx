import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { CheckboxField, FormFooter, SubmitForm } from '../components/form.js';
import { DataTable, QueryList, RowAction } from '../components/list.js';
import {
  ActiveBadge,
  Editor,
  invalid,
  orNull,
  type Reward,
  useCanWrite,
  useList,
  useSaveItem,
} from '../components/setup.js';
import { ErrorMessage, Field, Loading, Notice, Section } from '../components/ui.js';
import { newIdempotencyKey } from '../lib/api.js';
import { formatMoney, formatPoints, moneyInput, parseMoney } from '../lib/format.js';
import { useTenant } from '../lib/session-context.js';
import {
  formatRewardValue,
  MAX_CODES_PER_UPLOAD,
  parseCodes,
  parseRewardValue,
  type RewardType,
  rewardValueInput,
} from '../lib/setup.js';

const TYPES: Array<[RewardType, string]> = [
  ['discount_amount', 'Amount off'],
  ['discount_percent', 'Percent off'],
  ['points', 'Points'],
  ['voucher', 'Voucher code'],
  ['item', 'Free item'],
];
const typeLabel = (type: RewardType) => TYPES.find(([t]) => t === type)?.[1] ?? type;

function valueLabel(type: RewardType, currency: string): { label: string; hint?: string } {
  if (type === 'discount_amount') return { label: `Value (${currency})`, hint: 'The amount off, e.g. 2.50' };
  if (type === 'discount_percent') return { label: 'Value (percent off)', hint: 'From 0 to 100' };
  if (type === 'points') return { label: 'Value (points per unit)', hint: 'Points credited per unit' };
  return { label: 'Value', hint: 'Optional: a number for your own use' };
}

/** The reward catalog: list, create, edit, activate/deactivate, and the voucher codes of a reward. */
export function Rewards() {
  const { session } = useTenant();
  const currency = session.tenant.settings.currency;
  const canWrite = useCanWrite();
  const rewards = useList<Reward>('rewards');
  const [editing, setEditing] = useState<Reward | 'new' | null>(null);
  const [codesFor, setCodesFor] = useState<string | null>(null);
  const queryClient = useQueryClient();
  const { api } = useTenant();
  const toggle = useMutation({
    mutationFn: (r: Reward) => api.send<Reward>('PATCH', `/rewards/${r.id}`, { active: !r.active }),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ['rewards'] }),
  });
  const codesReward = rewards.data?.items.find((r) => r.id === codesFor);
  return (
    <>
      <h1>Rewards</h1>
      <Editor noun="reward" editing={editing} onEdit={setEditing}>
        {(reward, done) => <RewardForm reward={reward} onDone={done} />}
      </Editor>
      <Section title="Catalog">
        <QueryList query={rewards} what="rewards" empty="No rewards yet.">
          {(items) => (
            <>
              <ErrorMessage error={toggle.error} />
              <DataTable
                columns={[
                  'Name',
                  'Type',
                  { name: 'Value', num: true },
                  { name: 'Cost', num: true },
                  { name: 'Points price', num: true },
                  'Status',
                  { name: 'Actions', hidden: true },
                ]}
              >
                {items.map((r) => (
                  <tr key={r.id}>
                    <td>{r.name}</td>
                    <td>{typeLabel(r.type)}</td>
                    <td className="num">{formatRewardValue(r.type, r.value, currency)}</td>
                    <td className="num">{formatMoney(r.cost, currency)}</td>
                    <td className="num">{r.points_price === null ? '—' : formatPoints(r.points_price)}</td>
                    <td>
                      <ActiveBadge active={r.active} />
                    </td>
                    <td>
                      <div className="actions">
                        {r.type === 'voucher' && (
                          <button
                            type="button"
                            className="secondary"
                            aria-label={`Voucher codes of ${r.name}`}
                            onClick={() => setCodesFor(r.id)}
                          >
                            Codes
                          </button>
                        )}
                        {canWrite && (
                          <>
                            <RowAction verb="Edit" of={r.name} onClick={() => setEditing(r)} />
                            <RowAction
                              verb={r.active ? 'Deactivate' : 'Activate'}
                              of={r.name}
                              disabled={toggle.isPending}
                              onClick={() => toggle.mutate(r)}
                            />
                          </>
                        )}
                      </div>
                    </td>
                  </tr>
                ))}
              </DataTable>
            </>
          )}
        </QueryList>
      </Section>
      {codesReward && <VoucherCodes reward={codesReward} canWrite={canWrite} />}
    </>
  );
}

function RewardForm({ reward, onDone }: { reward: Reward | null; onDone: () => void }) {
  const { session } = useTenant();
  const currency = session.tenant.settings.currency;
  const [name, setName] = useState(reward?.name ?? '');
  const [type, setType] = useState<RewardType>(reward?.type ?? 'discount_amount');
  const [value, setValue] = useState(reward ? rewardValueInput(reward.type, reward.value, currency) : '');
  const [cost, setCost] = useState(reward ? moneyInput(reward.cost, currency) : '');
  const [issueMode, setIssueMode] = useState(reward?.issue_mode ?? 'immediate');
  const [validity, setValidity] = useState(reward?.validity ?? '');
  const [ttl, setTtl] = useState(reward?.reservation_ttl ?? '7d');
  const [pointsPrice, setPointsPrice] = useState(reward?.points_price?.toString() ?? '');
  const [active, setActive] = useState(reward?.active ?? true);
  const save = useSaveItem<Reward>('rewards', reward?.id ?? null, onDone, () => {
    const parsedValue = value.trim() === '' ? 0 : parseRewardValue(type, value, currency);
    if (parsedValue === null) {
      throw invalid(
        'value',
        type === 'discount_amount' ? `enter an amount in ${currency}, like 2.50` : 'enter a whole number',
      );
    }
    const parsedCost = cost.trim() === '' ? 0 : parseMoney(cost, currency);
    if (parsedCost === null) throw invalid('cost', `enter an amount in ${currency}, like 1.20`);
    let price: number | null = null;
    if (pointsPrice.trim() !== '') {
      if (!/^\s*\d+\s*$/.test(pointsPrice)) throw invalid('points_price', 'enter a whole number of points');
      price = Number(pointsPrice);
    }
    const body = {
      name,
      value: parsedValue,
      cost: parsedCost,
      issue_mode: issueMode,
      validity: orNull(validity),
      reservation_ttl: ttl.trim(),
      points_price: price,
      active,
    };
    return { body, created: { type } };
  });
  const { label, hint } = valueLabel(type, currency);
  const error = save.error;
  return (
    <SubmitForm onSubmit={save.mutate}>
      <Field label="Name" field="name" error={error}>
        {(p) => <input {...p} value={name} onChange={(e) => setName(e.target.value)} />}
      </Field>
      <Field
        label="Type"
        field="type"
        error={error}
        hint={reward ? 'The type of a reward cannot change' : undefined}
      >
        {(p) => (
          <select
            {...p}
            value={type}
            disabled={reward !== null}
            onChange={(e) => setType(e.target.value as RewardType)}
          >
            {TYPES.map(([t, l]) => (
              <option key={t} value={t}>
                {l}
              </option>
            ))}
          </select>
        )}
      </Field>
      <Field label={label} field="value" error={error} hint={hint}>
        {(p) => <input {...p} inputMode="decimal" value={value} onChange={(e) => setValue(e.target.value)} />}
      </Field>
      <Field
        label={`Cost (${currency})`}
        field="cost"
        error={error}
        hint="What one unit charges to the rule's budget, e.g. 1.20"
      >
        {(p) => <input {...p} inputMode="decimal" value={cost} onChange={(e) => setCost(e.target.value)} />}
      </Field>
      <Field label="Issue mode" field="issue_mode" error={error}>
        {(p) => (
          <select
            {...p}
            value={issueMode}
            onChange={(e) => setIssueMode(e.target.value as Reward['issue_mode'])}
          >
            <option value="immediate">immediate: issued when earned</option>
            <option value="manual">manual: reserved, issued by staff</option>
          </select>
        )}
      </Field>
      <Field
        label="Validity"
        field="validity"
        error={error}
        hint='How long an issued reward stays redeemable, like "30d"; empty: until redeemed'
      >
        {(p) => <input {...p} value={validity} onChange={(e) => setValidity(e.target.value)} />}
      </Field>
      <Field
        label="Reservation time-out"
        field="reservation_ttl"
        error={error}
        hint='How long a manual reservation waits to be issued, like "7d"'
      >
        {(p) => <input {...p} value={ttl} onChange={(e) => setTtl(e.target.value)} />}
      </Field>
      <Field
        label="Points price"
        field="points_price"
        error={error}
        hint="Price in points when customers buy it with points; empty: not for sale"
      >
        {(p) => (
          <input
            {...p}
            inputMode="numeric"
            value={pointsPrice}
            onChange={(e) => setPointsPrice(e.target.value)}
          />
        )}
      </Field>
      <CheckboxField label="Active" checked={active} onChange={setActive} />
      <FormFooter
        submit={reward === null ? 'Create reward' : 'Save reward'}
        pending={save.isPending}
        error={error}
        onCancel={onDone}
      />
    </SubmitForm>
  );
}

interface CodeCounts {
  available: number;
  used: number;
}

/** A voucher reward's pool: its counts, and an upload of codes typed or read from a file. */
function VoucherCodes({ reward, canWrite }: { reward: Reward; canWrite: boolean }) {
  const { api } = useTenant();
  const queryClient = useQueryClient();
  const counts = useQuery({
    queryKey: ['rewards', reward.id, 'codes'],
    queryFn: () => api.get<CodeCounts>(`/rewards/${reward.id}/codes`),
  });
  const [text, setText] = useState('');
  const [fileError, setFileError] = useState<string | null>(null);
  const parsed = parseCodes(text);
  const upload = useMutation({
    mutationFn: () => {
      if (parsed.codes.length === 0) throw invalid('codes', 'enter at least one code');
      if (parsed.codes.length > MAX_CODES_PER_UPLOAD) {
        throw invalid('codes', `at most ${MAX_CODES_PER_UPLOAD} codes per upload; split the file`);
      }
      return api.send<{ added: number; duplicates: string[] }>(
        'POST',
        `/rewards/${reward.id}/codes`,
        { codes: parsed.codes },
        newIdempotencyKey('codes'),
      );
    },
    onSuccess: () => {
      setText('');
      void queryClient.invalidateQueries({ queryKey: ['rewards', reward.id, 'codes'] });
    },
  });
  return (
    <Section title={`Voucher codes: ${reward.name}`}>
      {counts.isPending && <Loading what="the pool" />}
      <ErrorMessage error={counts.error} />
      {counts.data && (
        <p data-testid="code-counts">
          <strong>{counts.data.available}</strong> available, <strong>{counts.data.used}</strong> used
        </p>
      )}
      {canWrite && (
        <SubmitForm onSubmit={upload.mutate}>
          <Field
            label="Codes, one per line"
            field="codes"
            error={upload.error}
            hint="Or read a .txt or .csv file below (its first column); codes already in the pool are reported, not added"
          >
            {(p) => (
              <textarea
                {...p}
                rows={6}
                value={text}
                spellCheck={false}
                onChange={(e) => {
                  setText(e.target.value);
                  upload.reset();
                }}
              />
            )}
          </Field>
          <div className="field">
            <label htmlFor="codes-file">Codes file</label>
            <input
              id="codes-file"
              type="file"
              accept=".txt,.csv,text/plain,text/csv"
              onChange={async (e) => {
                const file = e.target.files?.[0];
                setFileError(null);
                if (!file) return;
                try {
                  setText(await file.text());
                  upload.reset();
                } catch {
                  setFileError(`Could not read ${file.name}`);
                }
              }}
            />
            {fileError && (
              <small className="field-error" role="alert">
                {fileError}
              </small>
            )}
          </div>
          <p className="muted" aria-live="polite">
            {parsed.codes.length} {parsed.codes.length === 1 ? 'code' : 'codes'} to upload
            {parsed.repeated.length > 0 && `; ${parsed.repeated.length} repeated in the list (sent once)`}
            {parsed.skipped.length > 0 &&
              `; ${parsed.skipped.length} left out (a header or over 64 characters)`}
          </p>
          <FormFooter submit="Upload codes" pending={upload.isPending} error={upload.error} />
        </SubmitForm>
      )}
      {upload.data && (
        <Notice>
          <span data-testid="codes-added">Added {upload.data.added}</span>
          {'; '}
          <span data-testid="codes-duplicates">
            {upload.data.duplicates.length} already in the pool
            {upload.data.duplicates.length > 0 && `: ${upload.data.duplicates.join(', ')}`}
          </span>
        </Notice>
      )}
    </Section>
  );
}
