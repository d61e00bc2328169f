/** Placeholder: built in the next step. */
export function Webhooks() {
  return <h1>Webhooks</h1>;
}
