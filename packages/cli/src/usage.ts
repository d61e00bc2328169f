/** A mistake in how the command was called (exit code 2), as opposed to findings in the input (1). */
export class UsageError extends Error {
  override name = 'UsageError';
}
