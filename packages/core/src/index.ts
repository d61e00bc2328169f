/**
 * @laas/core — the loyalty engine: domain types and schemas, the issuance state machine, storage
 * ports, the engine and an in-memory store.
 */
export * from './domain/index.js';
export { createEngine } from './engine/create-engine.js';
export { findNul, parseInput } from './engine/parse-input.js';
export {
  checkRuleLogic,
  type RuleCheck,
  type RuleWarning,
  type RuleWithWarnings,
  type RuleWriteOptions,
  ruleProblemsAt,
} from './engine/rule-check.js';
export { buildRuleContext, type RuleContext } from './engine/rule-context.js';
export { ruleContextMarkdown } from './engine/rule-context-doc.js';
export {
  RULE_CONTEXT_SCHEMA,
  RULE_CONTEXT_VARIABLES,
  type RuleContextVariable,
} from './engine/rule-context-schema.js';
export type * from './engine/types.js';
export * from './errors.js';
export { isUuid, newId } from './ids.js';
export type { CompactionReport } from './memory/compaction.js';
export {
  type MemoryStoreOptions,
  memoryStore,
  type ReplayStore,
  type ReplayStoreOptions,
  replayStore,
} from './memory/memory-store.js';
export { formatAmount, formatMoney, formatPoints, isCurrency, minorUnitDigits } from './money.js';
export type * from './ports/repositories.js';
export { capWindowKey } from './ports/repositories.js';
export type * from './ports/shared-channels.js';
export type {
  EarnedReads,
  IngestOpening,
  PlatformRepository,
  PoolStats,
  Store,
  StoreCapabilities,
  TransactionOptions,
  Tx,
  WorkBacklog,
} from './ports/store.js';
export { openIngestByParts, TransientStoreError, UniqueViolationError } from './ports/store.js';
export type * from './ports/tier-repository.js';
export { CLEAR_SECRETS, type SecretCodec } from './secret-codec.js';
export * from './time.js';
export * from './worker/index.js';
