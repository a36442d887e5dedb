// The signed-in user: an ID token (Cognito's, or one oms-local minted) kept in sessionStorage, and what its
// claims say (sub, roles = cognito:groups, store scope = custom:stores, expiry).

const KEY = 'oms.session';

export interface Session {
  token: string;
  sub: string;
  roles: string[];
  stores: string[];
  name?: string;
  expiresAt: number; // epoch ms
}

type Listener = (session: Session | null, reason?: string) => void;
const listeners = new Set<Listener>();

function decodePart(part: string): Record<string, unknown> {
  const base64 = part.replace(/-/g, '+').replace(/_/g, '/');
  const padded = base64 + '='.repeat((4 - (base64.length % 4)) % 4);
  const bytes = Uint8Array.from(atob(padded), (c) => c.charCodeAt(0));
  return JSON.parse(new TextDecoder().decode(bytes)) as Record<string, unknown>;
}

export function sessionFromToken(token: string): Session {
  const parts = token.split('.');
  if (parts.length !== 3) throw new Error('not a JWT');
  const claims = decodePart(parts[1]);
  const groups = claims['cognito:groups'];
  const stores = String(claims['custom:stores'] ?? '');
  return {
    token,
    sub: String(claims.sub ?? ''),
    roles: Array.isArray(groups) ? groups.map(String) : [],
    stores: stores ? stores.split(',').filter(Boolean) : [],
    name: typeof claims.name === 'string' ? claims.name : undefined,
    expiresAt: Number(claims.exp ?? 0) * 1000,
  };
}

export function currentSession(): Session | null {
  const token = sessionStorage.getItem(KEY);
  if (!token) return null;
  try {
    const session = sessionFromToken(token);
    if (session.expiresAt && session.expiresAt < Date.now()) {
      sessionStorage.removeItem(KEY);
      return null;
    }
    return session;
  } catch {
    sessionStorage.removeItem(KEY);
    return null;
  }
}

export function currentToken(): string | null {
  return currentSession()?.token ?? null;
}

export function signIn(token: string): Session {
  const session = sessionFromToken(token);
  sessionStorage.setItem(KEY, token);
  listeners.forEach((listener) => listener(session));
  return session;
}

export function signOut(reason?: string): void {
  sessionStorage.removeItem(KEY);
  listeners.forEach((listener) => listener(null, reason));
}

export function onSessionChange(listener: Listener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export const STAFF_ROLES = ['admin', 'support', 'warehouse', 'finance', 'merchant'];

export function isStaff(session: Session | null): boolean {
  return !!session && session.roles.some((role) => role !== 'customer');
}
