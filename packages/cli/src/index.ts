export { createCli, runCli } from './cli.js';
export { replay } from './commands/dry-run.js';
export { type ExplainedRule, explainFile } from './commands/explain.js';
export { type ValidateReport, validateFiles, validateRuleFiles } from './commands/validate.js';
export { csvRecordToEvent, readEvents } from './events.js';
export { type FileProblem, loadProject, type Project } from './project.js';
export { projectBudgets } from './report.js';
export type { DryRunSummary } from './summary.js';
