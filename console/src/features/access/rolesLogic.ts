// The role policy as the roles page edits it: per built-in role what is granted and revoked against the
// built-in matrix, and the custom roles; and PUT /settings/roles's body from it.

import type { Schemas } from '../../api/client';

export type Permission = Schemas['Permission'];
export type Role = Schemas['Role'];
export type RolesAnswer = Schemas['Roles'];

export interface Draft {
  roles: Record<string, { builtIn: Permission[]; grant: Permission[]; revoke: Permission[] }>;
  customRoles: Record<string, { description: string; permissions: Permission[] }>;
}

export function draftFrom(answer: RolesAnswer): Draft {
  const draft: Draft = { roles: {}, customRoles: {} };
  for (const role of answer.roles) {
    draft.roles[role.role] = { builtIn: [...role.builtIn], grant: [...role.granted], revoke: [...role.revoked] };
  }
  for (const custom of answer.customRoles) {
    draft.customRoles[custom.name] = { description: custom.description, permissions: [...custom.permissions] };
  }
  return draft;
}

/** Whether `role` would hold `permission` under the draft. */
export function holds(draft: Draft, role: string, permission: Permission): boolean {
  const entry = draft.roles[role];
  if (!entry) return false;
  if (entry.revoke.includes(permission)) return false;
  return entry.builtIn.includes(permission) || entry.grant.includes(permission);
}

/** Switch one cell of the matrix: a built-in permission is revoked or restored, another granted or withdrawn. */
export function toggle(draft: Draft, role: string, permission: Permission): Draft {
  const entry = draft.roles[role];
  if (!entry) return draft;
  const without = (list: Permission[]) => list.filter((item) => item !== permission);
  let { grant, revoke } = entry;
  if (entry.builtIn.includes(permission)) {
    revoke = revoke.includes(permission) ? without(revoke) : [...revoke, permission];
    grant = without(grant);
  } else {
    grant = grant.includes(permission) ? without(grant) : [...grant, permission];
    revoke = without(revoke);
  }
  return { ...draft, roles: { ...draft.roles, [role]: { ...entry, grant, revoke } } };
}

/** The cell's look: held as built, granted, revoked, or not held. */
export function cellState(draft: Draft, role: string, permission: Permission): 'built-in' | 'granted' | 'revoked' | 'none' {
  const entry = draft.roles[role];
  if (!entry) return 'none';
  if (entry.revoke.includes(permission)) return 'revoked';
  if (entry.builtIn.includes(permission)) return 'built-in';
  if (entry.grant.includes(permission)) return 'granted';
  return 'none';
}

/** PUT /settings/roles's body: every role with a change, every custom role (one left out is removed). */
export function policyBody(draft: Draft, reason?: string): Schemas['RolesIn'] {
  const roles: NonNullable<Schemas['RolesIn']['roles']> = {};
  for (const [role, entry] of Object.entries(draft.roles)) {
    if (entry.grant.length || entry.revoke.length) {
      roles[role as Role] = { grant: [...entry.grant].sort(), revoke: [...entry.revoke].sort() };
    }
  }
  const customRoles: NonNullable<Schemas['RolesIn']['customRoles']> = {};
  for (const [name, custom] of Object.entries(draft.customRoles)) {
    customRoles[name] = { description: custom.description, permissions: [...custom.permissions].sort() };
  }
  return { roles, customRoles, reason: reason?.trim() || undefined };
}

/** Whether the draft differs from what the API answered. */
export function changed(draft: Draft, answer: RolesAnswer): boolean {
  return JSON.stringify(policyBody(draft)) !== JSON.stringify(policyBody(draftFrom(answer)));
}

/** Every permission named anywhere in the answer, grouped by its noun (order:…, payment:…), sorted. */
export function permissionList(answer: RolesAnswer): Permission[] {
  const all = new Set<Permission>();
  for (const role of answer.roles) [...role.builtIn, ...role.granted, ...role.effective].forEach((item) => all.add(item));
  for (const custom of answer.customRoles) custom.permissions.forEach((item) => all.add(item));
  return [...all].sort();
}
