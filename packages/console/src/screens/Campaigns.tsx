/** Placeholder: built in the next step. */
export function Campaigns() {
  return <h1>Campaigns</h1>;
}
