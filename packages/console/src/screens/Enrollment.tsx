/** Placeholder: built in the next step. */
export function Enrollment({ tenantId }: { tenantId: string }) {
  return <h1>Join {tenantId}</h1>;
}
