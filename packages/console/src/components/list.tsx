import type { ButtonHTMLAttributes, ReactNode } from 'react';
import { ErrorMessage, Loading } from './ui.js';

interface ListQuery<T> {
  isPending: boolean;
  error: unknown;
  data?: { items: T[] };
}

/**
 * A list read from the API, in the same states on every screen: "Loading …", the failure, the
 * empty message once it is read, else `children` with the items. `items` overrides the page's own
 * (sorted or filtered); the empty message still waits for the answer.
 */
export function QueryList<T>({
  query,
  items = query.data?.items ?? [],
  what,
  empty,
  children,
}: {
  query: ListQuery<T>;
  items?: T[];
  what: string;
  empty: ReactNode;
  children: (items: T[]) => ReactNode;
}) {
  return (
    <>
      {query.isPending && <Loading what={what} />}
      <ErrorMessage error={query.error} />
      {query.data && items.length === 0 && <p className="muted">{empty}</p>}
      {items.length > 0 && children(items)}
    </>
  );
}

/** A column's header: a name, or one for figures (`num`, right-aligned) or buttons (`hidden`, for screen readers only). */
export type Column = string | { name: string; num?: boolean; hidden?: boolean };

/** A table that scrolls sideways on a phone, with a header row of `columns`. */
export function DataTable({
  label,
  columns,
  children,
}: {
  label?: string;
  columns: Column[];
  children: ReactNode;
}) {
  return (
    <div className="table-scroll">
      <table aria-label={label}>
        <thead>
          <tr>
            {columns.map((column) => {
              const { name, num, hidden } = typeof column === 'string' ? { name: column } : column;
              return (
                <th key={name} scope="col" className={num ? 'num' : undefined}>
                  {hidden ? <span className="visually-hidden">{name}</span> : name}
                </th>
              );
            })}
          </tr>
        </thead>
        <tbody>{children}</tbody>
      </table>
    </div>
  );
}

/** A row's button: it shows the verb and is named with the row ("Edit Coffee"), as the tests find it. */
export function RowAction({
  verb,
  of,
  className = 'secondary',
  ...rest
}: { verb: string; of: string } & Omit<ButtonHTMLAttributes<HTMLButtonElement>, 'type' | 'children'>) {
  return (
    <button type="button" className={className} aria-label={`${verb} ${of}`} {...rest}>
      {verb}
    </button>
  );
}
