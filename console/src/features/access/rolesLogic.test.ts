import { describe, expect, it } from 'vitest';
import { cellState, changed, draftFrom, holds, policyBody, toggle, type RolesAnswer } from './rolesLogic';

const answer: RolesAnswer = {
  roles: [
    { role: 'support', builtIn: ['order:read-any', 'order:cancel-any'], granted: [], revoked: [], effective: ['order:read-any', 'order:cancel-any'] },
    { role: 'finance', builtIn: ['refund:create'], granted: ['export:read-any'], revoked: [], effective: ['refund:create', 'export:read-any'] },
  ],
  customRoles: [{ name: 'auditor', description: 'Reads orders', permissions: ['order:read-any'], storeScoped: false }],
  limits: { nonDelegable: ['roles:manage'], adminKeeps: ['roles:manage'], moneyMoves: [], shopperOnly: [] },
  version: 3,
  updatedAt: null,
  updatedBy: null,
};

describe('role policy draft', () => {
  it('reads the answer: built-in, granted and revoked permissions', () => {
    const draft = draftFrom(answer);
    expect(cellState(draft, 'support', 'order:read-any')).toBe('built-in');
    expect(cellState(draft, 'finance', 'export:read-any')).toBe('granted');
    expect(cellState(draft, 'finance', 'order:read-any')).toBe('none');
    expect(changed(draft, answer)).toBe(false);
  });

  it('revokes a built-in permission and restores it', () => {
    let draft = toggle(draftFrom(answer), 'support', 'order:cancel-any');
    expect(cellState(draft, 'support', 'order:cancel-any')).toBe('revoked');
    expect(holds(draft, 'support', 'order:cancel-any')).toBe(false);
    expect(policyBody(draft, ' quarterly audit ')).toEqual({
      roles: { support: { grant: [], revoke: ['order:cancel-any'] }, finance: { grant: ['export:read-any'], revoke: [] } },
      customRoles: { auditor: { description: 'Reads orders', permissions: ['order:read-any'] } },
      reason: 'quarterly audit',
    });
    draft = toggle(draft, 'support', 'order:cancel-any');
    expect(changed(draft, answer)).toBe(false);
  });

  it('grants another permission and withdraws the grant', () => {
    let draft = toggle(draftFrom(answer), 'support', 'export:read-any');
    expect(cellState(draft, 'support', 'export:read-any')).toBe('granted');
    expect(changed(draft, answer)).toBe(true);
    draft = toggle(draft, 'finance', 'export:read-any');
    expect(policyBody(draft).roles).toEqual({ support: { grant: ['export:read-any'], revoke: [] } });
  });
});
