import { useQueryClient } from '@tanstack/react-query';
import { createContext, type ReactNode, useCallback, useContext, useMemo, useState } from 'react';
import { type Client, client } from './api.js';
import { loadSession, type Session, saveSession } from './session.js';

interface SessionValue {
  session: Session | null;
  /** Null until signed in and, for the platform admin, until a tenant is picked. */
  api: Client | null;
  setSession: (session: Session | null) => void;
}

const SessionContext = createContext<SessionValue | null>(null);

export function SessionProvider({ children }: { children: ReactNode }) {
  const [session, setState] = useState<Session | null>(loadSession);
  const queryClient = useQueryClient();
  const setSession = useCallback(
    (next: Session | null) => {
      saveSession(next);
      // Nothing read with one key may be shown to the next.
      queryClient.clear();
      setState(next);
    },
    [queryClient],
  );
  const value = useMemo<SessionValue>(
    () => ({ session, api: session?.tenant ? client(session) : null, setSession }),
    [session, setSession],
  );
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}

export function useSession(): SessionValue {
  const value = useContext(SessionContext);
  if (value === null) throw new Error('useSession outside SessionProvider');
  return value;
}

/** The signed-in session with a tenant: the screens below the sign-in only render with one. */
export function useTenant(): { session: Session & { tenant: NonNullable<Session['tenant']> }; api: Client } {
  const { session, api } = useSession();
  if (session === null || session.tenant === null || api === null) throw new Error('No tenant is selected');
  return { session: session as Session & { tenant: NonNullable<Session['tenant']> }, api };
}
