/** Placeholder: built in the next step. */
export function Rewards() {
  return <h1>Rewards</h1>;
}
