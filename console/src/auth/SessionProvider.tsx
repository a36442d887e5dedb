import { useQuery, useQueryClient } from '@tanstack/react-query';
import { createContext, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { api, unwrap } from '../api/client';
import { can, type RouteKey } from './permissions';
import { currentSession, onSessionChange, type Session } from './session';

interface SessionValue {
  session: Session | null;
  /** Whether the signed-in user passes this route's edge (the API still enforces it). */
  can: (route: RouteKey) => boolean;
  /** The effective permissions (GET /me/permissions), once read. */
  permissions?: ReadonlySet<string>;
  /** Why the last session ended ('expired' after a 401), for the sign-in page. */
  endedBecause?: string;
}

const Context = createContext<SessionValue | null>(null);

export function SessionProvider({ children }: { children: ReactNode }) {
  const queries = useQueryClient();
  const [session, setSession] = useState<Session | null>(currentSession());
  const [endedBecause, setEndedBecause] = useState<string | undefined>();
  useEffect(
    () =>
      onSessionChange((next, reason) => {
        queries.clear(); // nothing one user read is shown to the next
        setSession(next);
        setEndedBecause(next ? undefined : reason);
      }),
    [queries],
  );
  // Grants, revokes and custom roles change what a role may do at run time: the API says what this caller
  // may do now; until it answers, the built-in matrix for the token's roles stands in.
  const effective = useQuery({
    queryKey: ['me', 'permissions', session?.sub ?? ''],
    enabled: !!session,
    staleTime: 60_000,
    queryFn: async () => unwrap(await api().GET('/me/permissions')),
  });
  const permissions = useMemo(
    () => (effective.data ? new Set<string>(effective.data.permissions) : undefined),
    [effective.data],
  );
  const value = useMemo<SessionValue>(
    () => ({ session, can: (route) => can(session, route, permissions), permissions, endedBecause }),
    [session, permissions, endedBecause],
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
