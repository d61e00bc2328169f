/** Placeholder: built in the next step. */
export function Budgets() {
  return <h1>Budgets</h1>;
}
