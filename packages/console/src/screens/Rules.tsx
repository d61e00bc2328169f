import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useMemo, useRef, useState } from 'react';
import { Link, Route, Switch, useLocation } from 'wouter';
import { CheckboxField, DateTimeField, OptionalSelect, SubmitForm } from '../components/form.js';
import { JsonEditor } from '../components/json-editor.js';
import { DataTable, QueryList } from '../components/list.js';
import {
  ActiveBadge,
  type Budget,
  type Campaign,
  type Cap,
  invalid,
  orNull,
  type Reward,
  type Rule,
  type RuleProblem,
  useCanWrite,
  useList,
} from '../components/setup.js';
import { ErrorMessage, Field, Loading, Notice, Section } from '../components/ui.js';
import { ApiError, newIdempotencyKey } from '../lib/api.js';
import { parseJson } from '../lib/json-text.js';
import { RULE_CONTEXT_VARIABLES } from '../lib/rule-context.js';
import {
  applySuggestion,
  type EditorProblem,
  insertAt,
  placeProblems,
  problemsUnder,
  sampleContext,
  syntaxProblem,
  varSnippet,
} from '../lib/rule-editor.js';
import { useTenant } from '../lib/session-context.js';
import {
  type ExplainNode,
  isoToLocalInput,
  localInputToIso,
  parseEventTypes,
  shortValue,
  truthy,
} from '../lib/setup.js';

type RuleWithWarnings = Rule & { warnings: RuleProblem[] };

/** The rules, nested under /rules: the list, /rules/new and /rules/:id (the editor). */
export function Rules() {
  // The warnings of the last save survive the move from /new to /:id.
  const [saved, setSaved] = useState<{ id: string; warnings: RuleProblem[] } | null>(null);
  return (
    <Switch>
      <Route path="/">
        <RuleList />
      </Route>
      <Route path="/new">
        <RuleEditor id={null} saved={null} onSaved={setSaved} />
      </Route>
      <Route path="/:id">
        {(params) => (
          <RuleEditor
            key={params.id}
            id={params.id}
            saved={saved?.id === params.id ? saved.warnings : null}
            onSaved={setSaved}
          />
        )}
      </Route>
    </Switch>
  );
}

function RuleList() {
  const canWrite = useCanWrite();
  const rules = useList<Rule>('rules');
  const rewards = useList<Reward>('rewards');
  const rewardName = (id: string) => rewards.data?.items.find((r) => r.id === id)?.name ?? '…';
  const sorted = useMemo(
    () => [...(rules.data?.items ?? [])].sort((a, b) => a.priority - b.priority),
    [rules.data],
  );
  return (
    <>
      <h1>Rules</h1>
      {canWrite && (
        <p>
          <Link href="/new" className="button">
            New rule
          </Link>
        </p>
      )}
      <Section title="Rules, in the order they run">
        <QueryList query={rules} items={sorted} what="rules" empty="No rules yet.">
          {(items) => (
            <DataTable columns={['Name', 'Events', 'Reward', { name: 'Priority', num: true }, 'Status']}>
              {items.map((r) => (
                <tr key={r.id}>
                  <td>
                    <Link href={`/${r.id}`}>{r.name}</Link>
                  </td>
                  <td>{r.event_types.join(', ')}</td>
                  <td>{rewardName(r.reward_id)}</td>
                  <td className="num">{r.priority}</td>
                  <td>
                    <ActiveBadge active={r.active} />
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

/** Loads the rule (for /:id) and shows the form once it is here. */
function RuleEditor({
  id,
  saved,
  onSaved,
}: {
  id: string | null;
  saved: RuleProblem[] | null;
  onSaved: (s: { id: string; warnings: RuleProblem[] }) => void;
}) {
  const { api } = useTenant();
  const rule = useQuery({
    queryKey: ['rules', id],
    queryFn: () => api.get<Rule>(`/rules/${id}`),
    enabled: id !== null,
  });
  if (id !== null && rule.isPending) return <Loading what="the rule" />;
  if (id !== null && rule.error) {
    return (
      <>
        <h1>Rule</h1>
        <ErrorMessage error={rule.error} />
        <Link href="/">Back to the rules</Link>
      </>
    );
  }
  const current = id === null ? null : (rule.data ?? null);
  return (
    <RuleForm
      // A reload after a conflict (a new version) starts the form again from what is stored.
      key={current === null ? 'new' : `${current.id}@${current.version}`}
      rule={current}
      savedWarnings={saved}
      onSaved={onSaved}
      reload={() => rule.refetch()}
    />
  );
}

interface CapDraft {
  scope: Cap['scope'];
  max: string;
  window: 'day' | 'week' | 'month' | 'year' | 'lifetime' | 'rolling';
  rolling: string;
}

const capDraft = (c: Cap): CapDraft => ({
  scope: c.scope,
  max: String(c.max),
  window: typeof c.window === 'string' ? c.window : 'rolling',
  rolling: typeof c.window === 'string' ? '' : c.window.rolling,
});

const pretty = (value: unknown) => JSON.stringify(value, null, 2);

function RuleForm({
  rule,
  savedWarnings,
  onSaved,
  reload,
}: {
  rule: Rule | null;
  savedWarnings: RuleProblem[] | null;
  onSaved: (s: { id: string; warnings: RuleProblem[] }) => void;
  reload: () => void;
}) {
  const { api, session } = useTenant();
  const timeZone = session.tenant.timezone;
  const currency = session.tenant.settings.currency;
  const canWrite = useCanWrite();
  const queryClient = useQueryClient();
  const [, navigate] = useLocation();
  const rewards = useList<Reward>('rewards');
  const budgets = useList<Budget>('budgets');
  const campaigns = useList<Campaign>('campaigns');

  const [name, setName] = useState(rule?.name ?? '');
  const [eventTypes, setEventTypes] = useState(rule?.event_types.join(', ') ?? 'purchase');
  const [rewardId, setRewardId] = useState(rule?.reward_id ?? '');
  const [priority, setPriority] = useState(String(rule?.priority ?? 100));
  const [caps, setCaps] = useState<CapDraft[]>(rule?.caps.map(capDraft) ?? []);
  const [cooldown, setCooldown] = useState(rule?.cooldown ?? '');
  const [budgetId, setBudgetId] = useState(rule?.budget_id ?? '');
  const [campaignId, setCampaignId] = useState(rule?.campaign_id ?? '');
  const [validFrom, setValidFrom] = useState(isoToLocalInput(rule?.valid_from, timeZone));
  const [validUntil, setValidUntil] = useState(isoToLocalInput(rule?.valid_until, timeZone));
  const [stopProcessing, setStopProcessing] = useState(rule?.stop_processing ?? false);
  const [active, setActive] = useState(rule?.active ?? true);
  const [condition, setCondition] = useState(rule ? pretty(rule.condition) : 'true');
  const [quantity, setQuantity] = useState(rule ? pretty(rule.quantity) : '1');
  const [confirmDelete, setConfirmDelete] = useState(false);

  // The reward list's first entry is the default of a new rule.
  useEffect(() => {
    if (rewardId === '' && rewards.data?.items[0]) setRewardId(rewards.data.items[0].id);
  }, [rewardId, rewards.data]);

  // Live validation: a syntax error at once, then (400 ms after the last keystroke) the API's check.
  const [live, setLive] = useState<{ condition: EditorProblem[]; quantity: EditorProblem[] }>({
    condition: [],
    quantity: [],
  });
  const [checking, setChecking] = useState(false);
  const generation = useRef(0);
  useEffect(() => {
    const mine = ++generation.current;
    const cSyntax = syntaxProblem(condition);
    const qSyntax = syntaxProblem(quantity);
    if (cSyntax || qSyntax) {
      setLive({ condition: cSyntax ? [cSyntax] : [], quantity: qSyntax ? [qSyntax] : [] });
      setChecking(false);
      return;
    }
    if (!canWrite) return;
    setChecking(true);
    const timer = setTimeout(async () => {
      try {
        const answer = await api.send<{
          condition: { errors: RuleProblem[]; warnings: RuleProblem[] };
          quantity: { errors: RuleProblem[]; warnings: RuleProblem[] };
        }>('POST', '/rules/validate', { condition: JSON.parse(condition), quantity: JSON.parse(quantity) });
        if (mine !== generation.current) return;
        setLive({
          condition: placeProblems(
            condition,
            'condition',
            answer.condition.errors,
            answer.condition.warnings,
          ),
          quantity: placeProblems(quantity, 'quantity', answer.quantity.errors, answer.quantity.warnings),
        });
      } catch (error) {
        if (mine !== generation.current) return;
        const message = error instanceof Error ? error.message : String(error);
        setLive({
          condition: [{ kind: 'error', line: null, message: `Could not check: ${message}` }],
          quantity: [],
        });
      } finally {
        if (mine === generation.current) setChecking(false);
      }
    }, 400);
    return () => clearTimeout(timer);
  }, [condition, quantity, canWrite, api]);

  // The variable picker inserts into the JSON text that last had the focus.
  const conditionRef = useRef<HTMLTextAreaElement>(null);
  const quantityRef = useRef<HTMLTextAreaElement>(null);
  const [target, setTarget] = useState<'condition' | 'quantity'>('condition');
  const insertVariable = (v: (typeof RULE_CONTEXT_VARIABLES)[number]) => {
    const el = (target === 'condition' ? conditionRef : quantityRef).current;
    const text = target === 'condition' ? condition : quantity;
    const set = target === 'condition' ? setCondition : setQuantity;
    const { snippet, select } = varSnippet(v);
    // A text that is only the default (`true`, `1`) is replaced rather than added to.
    const whole = text.trim() === 'true' || text.trim() === '1' || text.trim() === '';
    const start = whole ? 0 : (el?.selectionStart ?? text.length);
    const end = whole ? text.length : (el?.selectionEnd ?? text.length);
    const next = insertAt(text, start, end, snippet);
    set(next.text);
    requestAnimationFrame(() => {
      if (!el) return;
      el.focus();
      if (select) el.setSelectionRange(start + select[0], start + select[1]);
      else el.setSelectionRange(next.cursor, next.cursor);
    });
  };

  const body = () => {
    const cParsed = parseJson(condition);
    if (!cParsed.ok)
      throw invalid('condition', `is not JSON: ${cParsed.error.message} (line ${cParsed.error.line})`);
    const qParsed = parseJson(quantity);
    if (!qParsed.ok)
      throw invalid('quantity', `is not JSON: ${qParsed.error.message} (line ${qParsed.error.line})`);
    if (!/^\s*-?\d+\s*$/.test(priority)) throw invalid('priority', 'enter a whole number');
    const capsBody = caps.map((c, i) => {
      if (!/^\s*\d+\s*$/.test(c.max)) throw invalid(`caps.${i}.max`, 'enter a whole number');
      return {
        scope: c.scope,
        max: Number(c.max),
        window: c.window === 'rolling' ? { rolling: c.rolling.trim() } : c.window,
      };
    });
    return {
      name,
      event_types: parseEventTypes(eventTypes),
      reward_id: rewardId,
      priority: Number(priority),
      caps: capsBody,
      cooldown: orNull(cooldown),
      budget_id: budgetId === '' ? null : budgetId,
      campaign_id: campaignId === '' ? null : campaignId,
      valid_from: localInputToIso(validFrom, timeZone),
      valid_until: localInputToIso(validUntil, timeZone),
      stop_processing: stopProcessing,
      active,
      condition: cParsed.value,
      quantity: qParsed.value,
    };
  };

  const save = useMutation({
    mutationFn: async () => {
      const b = body();
      return rule === null
        ? api.send<RuleWithWarnings>('POST', '/rules', b, newIdempotencyKey('rule'))
        : api.send<RuleWithWarnings>('PATCH', `/rules/${rule.id}`, { ...b, version: rule.version });
    },
    onSuccess: (result) => {
      const { warnings, ...stored } = result;
      queryClient.setQueryData(['rules', result.id], stored);
      void queryClient.invalidateQueries({ queryKey: ['rules'], exact: true });
      onSaved({ id: result.id, warnings });
      if (rule === null) navigate(`/${result.id}`);
    },
  });
  const toggle = useMutation({
    mutationFn: (rule_: Rule) =>
      api.send<RuleWithWarnings>('PATCH', `/rules/${rule_.id}`, {
        active: !rule_.active,
        version: rule_.version,
      }),
    onSuccess: (result) => {
      const { warnings, ...stored } = result;
      queryClient.setQueryData(['rules', result.id], stored);
      void queryClient.invalidateQueries({ queryKey: ['rules'], exact: true });
      onSaved({ id: result.id, warnings });
    },
  });
  const remove = useMutation({
    mutationFn: (rule_: Rule) => api.send<void>('DELETE', `/rules/${rule_.id}`),
    onSuccess: () => {
      void queryClient.invalidateQueries({ queryKey: ['rules'] });
      navigate('/');
    },
  });

  // The save's refusals of the logic, at their lines, after the live check's.
  const saveIssues =
    save.error instanceof ApiError && Array.isArray(save.error.details?.issues)
      ? (save.error.details.issues as RuleProblem[]).map((i) => ({ ...i, path: String(i.path) }))
      : [];
  const warnings = savedWarnings ?? [];
  const conditionProblems = [
    ...live.condition,
    ...placeProblems(condition, 'condition', problemsUnder(saveIssues, 'condition'), []),
  ];
  const quantityProblems = [
    ...live.quantity,
    ...placeProblems(quantity, 'quantity', problemsUnder(saveIssues, 'quantity'), []),
  ];
  const fix = (root: 'condition' | 'quantity') => (p: EditorProblem) => {
    if (p.path === undefined || p.suggestion === undefined) return;
    const text = root === 'condition' ? condition : quantity;
    const fixed = applySuggestion(text, root, p.path, p.suggestion);
    if (fixed !== null) (root === 'condition' ? setCondition : setQuantity)(fixed);
  };
  const conflict = [save.error, toggle.error].find((e) => e instanceof ApiError && e.status === 409) as
    | ApiError
    | undefined;
  const error = save.error;
  const readOnly = !canWrite;

  return (
    <>
      <p>
        <Link href="/">← All rules</Link>
      </p>
      <h1>{rule === null ? 'New rule' : rule.name}</h1>
      {rule !== null && (
        <p className="muted">
          <ActiveBadge active={rule.active} /> version {rule.version}
        </p>
      )}
      {conflict && (
        <div className="conflict" role="alert">
          <strong>Not saved: this rule was changed elsewhere.</strong> {conflict.message}. Reload it to see
          the stored version (your edits here are then lost), and make your change again.{' '}
          <button type="button" className="secondary" onClick={reload}>
            Reload the rule
          </button>
        </div>
      )}
      {savedWarnings !== null && !save.isPending && (
        <Notice>
          Saved.
          {warnings.length > 0 &&
            ` With ${warnings.length} ${warnings.length === 1 ? 'warning' : 'warnings'}: ${warnings
              .map((w) => `${w.path}: ${w.message}${w.suggestion ? ` (did you mean ${w.suggestion}?)` : ''}`)
              .join('; ')}`}
        </Notice>
      )}
      <div className="rule-layout">
        <SubmitForm
          className="rule-form"
          aria-label="Rule"
          onSubmit={() => {
            if (canWrite) save.mutate();
          }}
        >
          <fieldset disabled={readOnly} className="plain">
            <legend className="visually-hidden">The rule</legend>
            <Field label="Name" field="name" error={error}>
              {(p) => <input {...p} value={name} onChange={(e) => setName(e.target.value)} />}
            </Field>
            <Field
              label="Event types"
              field="event_types"
              error={error}
              hint="Comma-separated, like purchase, visit"
            >
              {(p) => <input {...p} value={eventTypes} onChange={(e) => setEventTypes(e.target.value)} />}
            </Field>
            <Field label="Reward" field="reward_id" error={error}>
              {(p) => (
                <select {...p} value={rewardId} onChange={(e) => setRewardId(e.target.value)}>
                  {rewardId === '' && <option value="">choose a reward</option>}
                  {rewards.data?.items.map((r) => (
                    <option key={r.id} value={r.id}>
                      {r.name}
                      {r.active ? '' : ' (inactive)'}
                    </option>
                  ))}
                </select>
              )}
            </Field>
            <JsonEditor
              id="rule-condition"
              label="Condition (JsonLogic)"
              hint="When the rule matches; true: always. Pick variables from the list."
              value={condition}
              onChange={setCondition}
              problems={conditionProblems}
              onFix={fix('condition')}
              textareaRef={conditionRef}
              onFocus={() => setTarget('condition')}
              readOnly={readOnly}
            />
            <JsonEditor
              id="rule-quantity"
              label="Quantity (JsonLogic)"
              hint="How many reward units; 1 by default"
              value={quantity}
              onChange={setQuantity}
              problems={quantityProblems}
              onFix={fix('quantity')}
              textareaRef={quantityRef}
              onFocus={() => setTarget('quantity')}
              readOnly={readOnly}
              minRows={2}
            />
            <p className="muted" aria-live="polite" data-testid="validation-state">
              {checking
                ? 'Checking…'
                : conditionProblems.length + quantityProblems.length === 0
                  ? canWrite
                    ? 'The logic is valid.'
                    : ''
                  : ''}
            </p>
            <div className="grid">
              <Field label="Priority" field="priority" error={error} hint="Lower runs first">
                {(p) => (
                  <input
                    {...p}
                    inputMode="numeric"
                    value={priority}
                    onChange={(e) => setPriority(e.target.value)}
                  />
                )}
              </Field>
              <Field
                label="Cooldown"
                field="cooldown"
                error={error}
                hint='Per customer, like "12h"; empty: none'
              >
                {(p) => <input {...p} value={cooldown} onChange={(e) => setCooldown(e.target.value)} />}
              </Field>
              <OptionalSelect
                label="Budget"
                field="budget_id"
                error={error}
                hint="None: the campaign's, if any"
                value={budgetId}
                onChange={setBudgetId}
                options={(budgets.data?.items ?? []).map((b) => ({ id: b.id, label: b.name }))}
              />
              <OptionalSelect
                label="Campaign"
                field="campaign_id"
                error={error}
                value={campaignId}
                onChange={setCampaignId}
                options={(campaigns.data?.items ?? []).map((c) => ({
                  id: c.id,
                  label: `${c.name} (${c.status})`,
                }))}
              />
              <DateTimeField
                label="Valid from"
                field="valid_from"
                error={error}
                hint={`In ${timeZone}; empty: always`}
                value={validFrom}
                onChange={setValidFrom}
              />
              <DateTimeField
                label="Valid until"
                field="valid_until"
                error={error}
                hint={`In ${timeZone}; empty: always`}
                value={validUntil}
                onChange={setValidUntil}
              />
            </div>
            <fieldset className="caps">
              <legend>Caps</legend>
              {caps.length === 0 && <p className="muted">No caps: the rule issues every time it matches.</p>}
              {caps.map((c, i) => {
                const update = (patch: Partial<CapDraft>) =>
                  setCaps(caps.map((x, j) => (j === i ? { ...x, ...patch } : x)));
                return (
                  // biome-ignore lint/suspicious/noArrayIndexKey: caps have no id; their order is their identity
                  <div className="cap-row" key={i}>
                    <Field label={`Cap ${i + 1}: at most`} field={`caps.${i}.max`} error={error}>
                      {(p) => (
                        <input
                          {...p}
                          inputMode="numeric"
                          value={c.max}
                          onChange={(e) => update({ max: e.target.value })}
                        />
                      )}
                    </Field>
                    <Field label={`Cap ${i + 1}: per`} field={`caps.${i}.scope`} error={error}>
                      {(p) => (
                        <select
                          {...p}
                          value={c.scope}
                          onChange={(e) => update({ scope: e.target.value as Cap['scope'] })}
                        >
                          <option value="customer">customer</option>
                          <option value="global">all customers</option>
                        </select>
                      )}
                    </Field>
                    <Field label={`Cap ${i + 1}: window`} field={`caps.${i}.window`} error={error}>
                      {(p) => (
                        <select
                          {...p}
                          value={c.window}
                          onChange={(e) => update({ window: e.target.value as CapDraft['window'] })}
                        >
                          <option value="day">day</option>
                          <option value="week">week</option>
                          <option value="month">month</option>
                          <option value="year">year</option>
                          <option value="lifetime">lifetime</option>
                          <option value="rolling">rolling duration</option>
                        </select>
                      )}
                    </Field>
                    {c.window === 'rolling' && (
                      <Field
                        label={`Cap ${i + 1}: rolling duration`}
                        field={`caps.${i}.window.rolling`}
                        error={error}
                        hint='Like "30d"'
                      >
                        {(p) => (
                          <input
                            {...p}
                            value={c.rolling}
                            onChange={(e) => update({ rolling: e.target.value })}
                          />
                        )}
                      </Field>
                    )}
                    {canWrite && (
                      <button
                        type="button"
                        className="secondary"
                        onClick={() => setCaps(caps.filter((_, j) => j !== i))}
                      >
                        Remove cap {i + 1}
                      </button>
                    )}
                  </div>
                );
              })}
              {canWrite && (
                <button
                  type="button"
                  className="secondary"
                  onClick={() =>
                    setCaps([...caps, { scope: 'customer', max: '1', window: 'day', rolling: '' }])
                  }
                >
                  Add a cap
                </button>
              )}
            </fieldset>
            <CheckboxField
              label="Stop processing lower-priority rules after this one issues"
              checked={stopProcessing}
              onChange={setStopProcessing}
            />
            {rule === null && <CheckboxField label="Active" checked={active} onChange={setActive} />}
          </fieldset>
          {canWrite && (
            <div className="actions">
              <button type="submit" disabled={save.isPending}>
                {rule === null ? 'Create rule' : 'Save rule'}
              </button>
              {rule !== null && (
                <>
                  <button
                    type="button"
                    className="secondary"
                    disabled={toggle.isPending}
                    onClick={() => toggle.mutate(rule)}
                  >
                    {rule.active ? 'Pause rule' : 'Activate rule'}
                  </button>
                  {!confirmDelete ? (
                    <button type="button" className="danger" onClick={() => setConfirmDelete(true)}>
                      Delete rule
                    </button>
                  ) : (
                    <span className="confirm">
                      <span>Delete “{rule.name}”? Its issuances stay.</span>{' '}
                      <button type="button" className="danger" onClick={() => remove.mutate(rule)}>
                        Yes, delete
                      </button>{' '}
                      <button type="button" className="secondary" onClick={() => setConfirmDelete(false)}>
                        Keep it
                      </button>
                    </span>
                  )}
                </>
              )}
            </div>
          )}
          {!conflict && <ErrorMessage error={error ?? toggle.error} />}
          <ErrorMessage error={remove.error} />
        </SubmitForm>
        <aside className="rule-aside">
          {canWrite && <VariablePicker onPick={insertVariable} target={target} />}
          {!canWrite && (
            <p className="muted">Your key can read the rules; a manager or admin key edits them.</p>
          )}
        </aside>
      </div>
      {canWrite && <TryIt condition={condition} quantity={quantity} currency={currency} />}
    </>
  );
}

function VariablePicker({
  onPick,
  target,
}: {
  onPick: (v: (typeof RULE_CONTEXT_VARIABLES)[number]) => void;
  target: 'condition' | 'quantity';
}) {
  const [filter, setFilter] = useState('');
  const shown = RULE_CONTEXT_VARIABLES.filter((v) =>
    `${v.path} ${v.meaning}`.toLowerCase().includes(filter.trim().toLowerCase()),
  );
  const roots = ['event', 'customer', 'tenant', 'now'];
  return (
    <Section title="Variables">
      <p className="muted">
        A click inserts <code>{'{"var": …}'}</code> at the cursor of the {target}.
      </p>
      <Field label="Filter variables">
        {(p) => <input {...p} type="search" value={filter} onChange={(e) => setFilter(e.target.value)} />}
      </Field>
      {roots.map((root) => {
        const vars = shown.filter((v) => v.path.startsWith(`${root}.`));
        if (vars.length === 0) return null;
        return (
          <div key={root}>
            <h3>{root}</h3>
            <ul className="var-list">
              {vars.map((v) => (
                <li key={v.path}>
                  <button
                    type="button"
                    className="var"
                    title={`${v.type}: ${v.meaning}`}
                    aria-label={`Insert ${v.path}`}
                    onClick={() => onPick(v)}
                  >
                    {v.path}
                    {v.type.startsWith('object') ? '.*' : ''}
                  </button>
                  <small className="muted">{v.type}</small>
                </li>
              ))}
            </ul>
          </div>
        );
      })}
    </Section>
  );
}

interface TestResult {
  matched: boolean;
  condition_value: unknown;
  quantity: unknown;
  warnings: RuleProblem[];
  explanation: { condition: ExplainNode; quantity: ExplainNode | null };
}

/** "Try it": the condition and quantity against a sample context, with the evaluation tree. */
function TryIt({ condition, quantity, currency }: { condition: string; quantity: string; currency: string }) {
  const { api } = useTenant();
  const [context, setContext] = useState(() => sampleContext('purchase', currency));
  const contextProblem = syntaxProblem(context);
  const test = useMutation({
    mutationFn: () => {
      const c = parseJson(condition);
      if (!c.ok) throw invalid('condition', `is not JSON (line ${c.error.line}): ${c.error.message}`);
      const q = parseJson(quantity);
      if (!q.ok) throw invalid('quantity', `is not JSON (line ${q.error.line}): ${q.error.message}`);
      const ctx = parseJson(context);
      if (!ctx.ok) throw invalid('context', `is not JSON (line ${ctx.error.line}): ${ctx.error.message}`);
      return api.send<TestResult>('POST', '/rules/test', {
        condition: c.value,
        quantity: q.value,
        context: ctx.value,
      });
    },
  });
  return (
    <Section title="Try it">
      <div className="try-it">
        <div className="actions">
          <button
            type="button"
            className="secondary"
            onClick={() => setContext(sampleContext('purchase', currency))}
          >
            Sample purchase
          </button>
          <button
            type="button"
            className="secondary"
            onClick={() => setContext(sampleContext('visit', currency))}
          >
            Sample visit
          </button>
        </div>
        <JsonEditor
          id="rule-context"
          label="Sample context { event, customer, now }"
          hint="Amounts in minor units: 2500 is 25.00"
          value={context}
          onChange={setContext}
          problems={contextProblem ? [contextProblem] : []}
          minRows={8}
        />
        <div className="actions">
          <button type="button" onClick={() => test.mutate()} disabled={test.isPending}>
            Try it
          </button>
        </div>
        <ErrorMessage error={test.error} />
      </div>
      {test.data && (
        <div className="try-result" data-testid="try-result">
          <p role="status">
            <span className={`badge ${test.data.matched ? 'ok' : 'bad'}`}>
              {test.data.matched ? 'matched' : 'did not match'}
            </span>{' '}
            {test.data.matched && <>quantity: {shortValue(test.data.quantity)}</>}
          </p>
          {test.data.warnings.length > 0 && (
            <ul className="json-problems">
              {test.data.warnings.map((w) => (
                <li key={w.path} className="problem-warning">
                  {w.message} at <code>{w.path}</code>
                  {w.suggestion && (
                    <>
                      {' '}
                      — did you mean <code>{w.suggestion}</code>?
                    </>
                  )}
                </li>
              ))}
            </ul>
          )}
          <h3>How the condition was evaluated</h3>
          <ul className="explain" aria-label="Condition evaluation">
            <ExplainTree node={test.data.explanation.condition} />
          </ul>
          {test.data.explanation.quantity && (
            <>
              <h3>How the quantity was evaluated</h3>
              <ul className="explain" aria-label="Quantity evaluation">
                <ExplainTree node={test.data.explanation.quantity} />
              </ul>
            </>
          )}
        </div>
      )}
    </Section>
  );
}

function ExplainTree({ node }: { node: ExplainNode }) {
  const leaf = node.op === 'literal';
  // A variable reads as one node: `var event.amount → 2500`.
  const variable = node.op === 'var' && node.args?.[0]?.op === 'literal' ? node.args[0].value : undefined;
  const judged = !leaf && variable === undefined;
  const passed = truthy(node.value);
  return (
    <li className={node.skipped ? 'skipped' : undefined}>
      <span className="explain-node">
        <code className="op">{leaf ? 'value' : node.op}</code>
        {variable !== undefined && <code> {String(variable)}</code>} <span aria-hidden="true">→</span>{' '}
        <code className="value">{shortValue(node.value)}</code>{' '}
        {node.skipped ? (
          <span className="badge">skipped</span>
        ) : (
          judged && <span className={`badge ${passed ? 'ok' : 'bad'}`}>{passed ? 'passed' : 'failed'}</span>
        )}
      </span>
      {variable === undefined && node.args && node.args.length > 0 && (
        <ul className="explain-children">
          {node.args.map((child) => (
            <ExplainTree key={child.path} node={child} />
          ))}
        </ul>
      )}
    </li>
  );
}
