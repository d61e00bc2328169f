import { RULE_CONTEXT_VARIABLES, type RuleContextVariable } from './rule-context-schema.js';

const ROOTS: Array<[string, string]> = [
  [
    'event',
    'The event being decided: its `data` fields with `id`, `type` and `occurred_at` on top. A data field is read as `event.<field>` (`event.amount`, not `event.data.amount`). Event data is free-form: a field not listed here is still readable, with a warning, since it is more often a typo than a field the till sends.',
  ],
  [
    'customer',
    'The customer the event is for, as stored before this event (its `stats` include this event).',
  ],
  ['tenant', 'The merchant.'],
  [
    'now',
    "The event's `occurred_at` seen in the tenant's time zone: a backtest over old events sees the time each event happened, not the time of the run.",
  ],
  [
    'referral',
    'The referral the customer is part of (docs/referrals.md): as the referee on their own events, as the referrer on the `referral` event the engine ingests for them when a referee qualifies. A customer nobody referred reads `role` null and `qualifying` false.',
  ],
];

const cell = (text: string) => text.replaceAll('|', '\\|');

function row(v: RuleContextVariable): string {
  const path = v.type.startsWith('object') ? `${v.path}.*` : v.path;
  return `| \`${path}\` | ${cell(v.type)} | ${cell(v.meaning)} | \`${cell(v.example)}\` |`;
}

/**
 * docs/rule-context.md: the variables a rule can read, rendered from the same list the validator's
 * schema is built from. `pnpm docs:rule-context` writes it; a test fails when the file is stale.
 */
export function ruleContextMarkdown(): string {
  const unplaced = RULE_CONTEXT_VARIABLES.filter(
    (v) => !ROOTS.some(([root]) => v.path.startsWith(`${root}.`)),
  );
  if (unplaced.length > 0) throw new Error(`rule context: no section for ${unplaced[0]?.path}`);
  const lines = [
    '# The rule context',
    '',
    '<!-- Generated from RULE_CONTEXT_VARIABLES (packages/core/src/engine/rule-context-schema.ts) by `pnpm docs:rule-context`. Do not edit by hand. -->',
    '',
    "A rule's `condition` and `quantity` (JsonLogic) read the context `{ event, customer, tenant, now }` with",
    '`{"var": "event.amount"}`. These are the variables it can read. Amounts are integers in minor units',
    '(cents): 1500 is 15.00.',
    '',
    'A variable outside this list is a warning with a "did you mean": `laas validate`,',
    '`POST /v1/tenants/{tid}/rules/validate`, and rule create and update (which answer it in `warnings`).',
    'Rule create and update with `?strict=true`, and `laas push` (unless `--no-strict`), refuse it.',
    'A variable of type `object` (marked `.*`) accepts any key below it.',
  ];
  for (const [root, about] of ROOTS) {
    lines.push('', `## \`${root}\``, '', about, '');
    lines.push('| Variable | Type | Meaning | Example |', '| --- | --- | --- | --- |');
    for (const v of RULE_CONTEXT_VARIABLES) if (v.path.split('.')[0] === root) lines.push(row(v));
  }
  return `${lines.join('\n')}\n`;
}
