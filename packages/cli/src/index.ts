export { createCli, runCli } from './cli.js';
export { type FileProblem, type ValidateReport, validateRuleFiles } from './commands/validate.js';
