import { useState } from 'react';

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
