/** Placeholder: built in the next step. */
export function Performance() {
  return <h1>Performance</h1>;
}
