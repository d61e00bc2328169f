/**
 * The variables a rule may read, as core validates them (docs/rule-context.md): one list, imported
 * through the browser-safe `@laas/core/rule-context` entry (plain data, no Node built-ins).
 */
export { RULE_CONTEXT_VARIABLES, type RuleContextVariable } from '@laas/core/rule-context';
