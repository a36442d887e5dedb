// What the signed-in user's roles let through the API's edge, from the generated matrix
// (src/generated/permissions.json, `python -m oms_local.console_permissions`; a test keeps it current).
// The console shows an action only when its route would let the user through; the API still decides.

import matrix from '../generated/permissions.json';
import type { Session } from './session';

export type RouteKey = keyof typeof matrix.routes;

const roles = matrix.roles as Record<string, string[]>;
const routes = matrix.routes as Record<string, string | string[]>;

export function permissionsOf(session: Session | null): Set<string> {
  const held = new Set<string>();
  session?.roles.forEach((role) => roles[role]?.forEach((permission) => held.add(permission)));
  return held;
}

/** Whether `session` passes `route`'s edge: with `held` (the caller's effective permissions from
 * GET /me/permissions: grants, revokes and custom roles included) or, until that is read, the built-in
 * matrix for the token's roles. */
export function can(session: Session | null, route: RouteKey, held?: ReadonlySet<string>): boolean {
  const needs = routes[route];
  if (needs === undefined) return false;
  if (needs === 'public') return true;
  if (needs === 'callback') return false;
  if (!session) return false;
  if (needs === 'signed-in') return true;
  const permissions = held ?? permissionsOf(session);
  return (needs as string[]).some((permission) => permissions.has(permission));
}
