/** Placeholder: built in the next step. */
export function Counter() {
  return <h1>Counter</h1>;
}
