import type { RuleProblem, RulesEngine } from '@laas/rules';
import type { Rule } from '../domain/rule.js';
import { type FieldIssue, UnprocessableInputError, ValidationError } from '../errors.js';
import { RULE_CONTEXT_SCHEMA } from './rule-context-schema.js';

/**
 * A problem of a rule's logic, its path from the rule's root (`condition.and[0][">="][0].var`),
 * with a `suggestion` when a close known name exists ("did you mean event.amount?").
 */
export interface RuleWarning {
  path: string;
  code: string;
  message: string;
  suggestion?: string;
}

/** What `/rules/validate`, rule create/update and `laas validate` all compute: one validator. */
export interface RuleCheck {
  errors: RuleWarning[];
  warnings: RuleWarning[];
}

/** Rebases a validator path (`$.and[0]`) onto the rule field it was found in (`condition.and[0]`). */
export function ruleProblemsAt(field: 'condition' | 'quantity', problems: RuleProblem[]): RuleWarning[] {
  return problems.map((p) => ({
    path: `${field}${p.path.replace(/^\$/, '')}`,
    code: p.code,
    message: p.message,
    ...(p.suggestion === undefined ? {} : { suggestion: p.suggestion }),
  }));
}

/** Validates a rule's condition and quantity against the rule context schema. */
export function checkRuleLogic(logic: RulesEngine, rule: Pick<Rule, 'condition' | 'quantity'>): RuleCheck {
  const opts = { contextSchema: RULE_CONTEXT_SCHEMA };
  const condition = logic.validate(rule.condition, opts);
  const quantity = logic.validate(rule.quantity, opts);
  return {
    errors: [
      ...ruleProblemsAt('condition', condition.errors),
      ...ruleProblemsAt('quantity', quantity.errors),
    ],
    warnings: [
      ...ruleProblemsAt('condition', condition.warnings),
      ...ruleProblemsAt('quantity', quantity.warnings),
    ],
  };
}

function issueOf(w: RuleWarning): FieldIssue {
  const hint = w.suggestion === undefined ? '' : ` (did you mean ${w.suggestion}?)`;
  return { path: w.path, code: w.code, message: `${w.message}${hint}` };
}

/**
 * Refuses a rule whose logic has errors (400); with `strict`, also one with warnings (422: the
 * rule is well-formed, and would save, but most likely never matches as meant). Otherwise answers
 * the warnings, for create and update to return beside the rule.
 */
export function enforceRuleLogic(
  logic: RulesEngine,
  rule: Pick<Rule, 'condition' | 'quantity'>,
  strict: boolean,
): RuleWarning[] {
  const { errors, warnings } = checkRuleLogic(logic, rule);
  if (errors.length > 0) {
    throw new ValidationError(`Invalid rule: ${errors[0]?.path}: ${errors[0]?.message}`, errors.map(issueOf));
  }
  if (strict && warnings.length > 0) {
    const first = issueOf(warnings[0] as RuleWarning);
    throw new UnprocessableInputError(
      `Rule refused (strict): ${first.path}: ${first.message}`,
      warnings.map(issueOf),
    );
  }
  return warnings;
}

export interface RuleWriteOptions {
  /** Refuse the rule (422 VALIDATION_ERROR) when its logic has warnings, instead of answering them. */
  strict?: boolean;
}

/** A created or changed rule, with the warnings of its logic (an empty array when none). */
export type RuleWithWarnings = Rule & { warnings: RuleWarning[] };
