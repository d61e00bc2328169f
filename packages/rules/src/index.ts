export { createRulesEngine } from './engine.js';
export { closest } from './ops.js';
export { isTruthy } from './runtime.js';
export type {
  CompiledRule,
  ContextSchema,
  CustomOperator,
  EvaluationEnv,
  ExplainNode,
  JsonLogic,
  RuleEvaluationErrorCode,
  RuleLimits,
  RuleProblem,
  RuleProblemCode,
  RulesEngine,
  RulesEngineOptions,
  ValidateOptions,
  ValidationResult,
} from './types.js';
export { DEFAULT_LIMITS, RuleEvaluationError, RuleValidationError } from './types.js';
