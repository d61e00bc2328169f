/** A JsonLogic rule: any JSON value. */
export type JsonLogic = unknown;

export type RuleProblemCode =
  | 'unknown_operator'
  | 'arity'
  | 'forbidden_path'
  | 'too_deep'
  | 'too_many_nodes'
  | 'literal_too_large'
  | 'path_too_long'
  | 'unknown_root'
  | 'unknown_path'
  | 'invalid_value';

/**
 * One problem found by `validate`.
 *
 * `path` is a JSONPath-like pointer into the rule: `$` is the rule itself, `.name` an object key that
 * is an identifier, `["key"]` any other key (JSON-quoted), `[n]` an array index. Examples:
 * `$.and[1].var`, `$.and[0][">="][1]`, `$["!"]` (unary operator written without an array).
 */
export interface RuleProblem {
  path: string;
  code: RuleProblemCode;
  message: string;
  suggestion?: string;
}

export interface ValidationResult {
  errors: RuleProblem[];
  warnings: RuleProblem[];
}

/**
 * A tree of known context paths. `true` marks a known value whose inside is not checked; an object
 * lists the known keys below; the key `'*'` accepts any key at that level (its value describes what
 * is below it). Example: `{ event: { amount: true, items: { '*': { sku: true } } }, customer: true }`.
 */
export interface ContextSchema {
  [key: string]: true | ContextSchema;
}

export interface ValidateOptions {
  contextSchema?: ContextSchema;
}

export interface EvaluationEnv {
  now?: Date;
  timeZone?: string;
}

/**
 * One node of an `explain` tree. `op` is the operator name, `'literal'` for a constant, or
 * `'array'` for an array that contains logic. `value` is what the node evaluated to. Nodes that
 * were not evaluated because of short-circuiting (`if`, `and`, `or`, the iteration operators over
 * an empty array) are present with `value: undefined` and `skipped: true`. The body of an iteration
 * operator (`map`, `filter`, `reduce`, `all`, `some`, `none`) appears once per evaluated element.
 */
export interface ExplainNode {
  op: string;
  path: string;
  value: unknown;
  args?: ExplainNode[];
  skipped?: boolean;
}

export interface CompiledRule {
  readonly source: JsonLogic;
  evaluate(context: unknown, env?: EvaluationEnv): unknown;
  explain(context: unknown, env?: EvaluationEnv): ExplainNode;
}

export interface RulesEngine {
  validate(rule: JsonLogic, options?: ValidateOptions): ValidationResult;
  /** Throws RuleValidationError if `validate(rule)` reports errors. */
  compile(rule: JsonLogic): CompiledRule;
  readonly operators: readonly string[];
  /** Whether `compile` generates JavaScript per rule (see RulesEngineOptions.codegen). */
  readonly codegen: boolean;
}

/** A user operator: receives its evaluated arguments and the resolved environment. */
export type CustomOperator = (args: unknown[], env: Required<EvaluationEnv>) => unknown;

export interface RuleLimits {
  /** Maximum nesting depth of the rule (validation). */
  maxDepth: number;
  /** Maximum number of JSON values in the rule (validation). */
  maxNodes: number;
  /** Maximum length of an array written in the rule (validation). */
  maxLiteralArrayLength: number;
  /** Maximum length, in characters, of a literal `var`/`missing` path (validation). */
  maxVarPathLength: number;
  /** Maximum evaluation steps per evaluation (one per node evaluated, one per iteration element, plus allocation charges). */
  maxSteps: number;
  /** Maximum length of an array built during evaluation (merge, map, filter). */
  maxArrayLength: number;
  /** Maximum length of a string built during evaluation (cat, substr, array-to-string coercion); also of a literal string. */
  maxStringLength: number;
}

export interface RulesEngineOptions {
  operators?: Record<string, CustomOperator>;
  limits?: Partial<RuleLimits>;
  /**
   * Generate one JavaScript function per rule (`new Function`; same semantics and limits as the
   * closures, and faster). Default: true when the environment allows code generation from strings
   * (checked once); `false` always compiles to closures (no `new Function` / `eval`).
   */
  codegen?: boolean;
}

export const DEFAULT_LIMITS: RuleLimits = Object.freeze({
  maxDepth: 32,
  maxNodes: 2000,
  maxLiteralArrayLength: 1000,
  maxVarPathLength: 256,
  maxSteps: 100_000,
  maxArrayLength: 10_000,
  maxStringLength: 100_000,
});

export class RuleValidationError extends Error {
  readonly code = 'RULE_INVALID' as const;
  readonly problems: RuleProblem[];
  constructor(problems: RuleProblem[]) {
    const first = problems[0];
    super(
      first
        ? `invalid rule: ${first.message} at ${first.path}${problems.length > 1 ? ` (and ${problems.length - 1} more)` : ''}`
        : 'invalid rule',
    );
    this.name = 'RuleValidationError';
    this.problems = problems;
  }
}

export type RuleEvaluationErrorCode = 'STEP_LIMIT' | 'SIZE_LIMIT' | 'OPERATOR_ERROR';

export class RuleEvaluationError extends Error {
  readonly code: RuleEvaluationErrorCode;
  constructor(code: RuleEvaluationErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'RuleEvaluationError';
    this.code = code;
  }
}
