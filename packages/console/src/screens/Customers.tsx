/** Placeholder: built in the next step. */
export function Customers() {
  return <h1>Customers</h1>;
}

export function CustomerDetail({ id }: { id: string }) {
  return <h1>Customer {id}</h1>;
}
