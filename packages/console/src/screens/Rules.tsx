/** Placeholder: built in the next step. */
export function Rules() {
  return <h1>Rules</h1>;
}
