import { createContext, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { can, type RouteKey } from './permissions';
import { currentSession, onSessionChange, type Session } from './session';

interface SessionValue {
  session: Session | null;
  /** Whether the signed-in user's roles pass this route's edge (the API still enforces it). */
  can: (route: RouteKey) => boolean;
  /** Why the last session ended ('expired' after a 401), for the sign-in page. */
  endedBecause?: string;
}

const Context = createContext<SessionValue | null>(null);

export function SessionProvider({ children }: { children: ReactNode }) {
  const [session, setSession] = useState<Session | null>(currentSession());
  const [endedBecause, setEndedBecause] = useState<string | undefined>();
  useEffect(
    () =>
      onSessionChange((next, reason) => {
        setSession(next);
        setEndedBecause(next ? undefined : reason);
      }),
    [],
  );
  const value = useMemo<SessionValue>(
    () => ({ session, can: (route) => can(session, route), endedBecause }),
    [session, endedBecause],
  );
  return <Context.Provider value={value}>{children}</Context.Provider>;
}

export function useSession(): SessionValue {
  const value = useContext(Context);
  if (!value) throw new Error('useSession outside SessionProvider');
  return value;
}

/** Renders its children only when the user may call `route`. */
export function Allowed({ route, children }: { route: RouteKey; children: ReactNode }) {
  const { can: allowed } = useSession();
  return allowed(route) ? <>{children}</> : null;
}
