import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import type { Page, RequestOptions } from '../lib/api.js';
import { useTenant } from '../lib/session-context.js';

/** Cursor paging: the cursor of the page shown and the ones before it (for "Previous"). */
export function usePager() {
  const [stack, setStack] = useState<Array<string | undefined>>([undefined]);
  const cursor = stack[stack.length - 1];
  return {
    cursor,
    page: stack.length,
    next: (nextCursor: string) => setStack((s) => [...s, nextCursor]),
    previous: () => setStack((s) => (s.length > 1 ? s.slice(0, -1) : s)),
    reset: () => setStack([undefined]),
  };
}

/**
 * A list read `limit` at a time: the page shown (its cursor ends the query key, after `key`) and
 * the pager that turns it, for a `Pager` under the list.
 */
export function usePagedQuery<T>(
  key: unknown[],
  path: string,
  query: RequestOptions['query'],
  limit: number,
) {
  const { api } = useTenant();
  const pager = usePager();
  const page = useQuery({
    queryKey: [...key, pager.cursor],
    queryFn: () => api.get<Page<T>>(path, { ...query, limit, cursor: pager.cursor }),
  });
  return { pager, page };
}

export function Pager({
  label,
  pager,
  nextCursor,
}: {
  label: string;
  pager: ReturnType<typeof usePager>;
  nextCursor: string | null | undefined;
}) {
  if (pager.page === 1 && !nextCursor) return null;
  return (
    <nav className="pager actions" aria-label={`${label} pages`}>
      <button type="button" className="secondary" disabled={pager.page === 1} onClick={pager.previous}>
        Previous
      </button>
      <span className="muted">Page {pager.page}</span>
      <button
        type="button"
        className="secondary"
        disabled={!nextCursor}
        onClick={() => nextCursor && pager.next(nextCursor)}
      >
        Next
      </button>
    </nav>
  );
}
