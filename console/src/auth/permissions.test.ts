import { describe, expect, it } from 'vitest';
import matrix from '../generated/permissions.json';
import { can, permissionsOf } from './permissions';
import type { Session } from './session';

const as = (...roles: string[]): Session => ({ token: 't', sub: 'u', roles, stores: [], expiresAt: 0 });

describe('can', () => {
  it('follows the built-in matrix for the token roles', () => {
    expect(can(as('admin'), 'PUT /settings/roles')).toBe(true);
    expect(can(as('support'), 'PUT /settings/roles')).toBe(false);
    expect(can(as('warehouse'), 'POST /orders/{orderId}/shipments')).toBe(true);
    expect(can(as('warehouse'), 'POST /orders/{orderId}/refunds')).toBe(false);
    expect(can(as('finance', 'warehouse'), 'POST /orders/{orderId}/refunds')).toBe(
      (matrix.routes['POST /orders/{orderId}/refunds'] as string[]).some((p) => permissionsOf(as('finance')).has(p)),
    );
  });

  it('uses the effective permissions when the API gave them', () => {
    const granted = new Set(['roles:manage']);
    expect(can(as('support'), 'PUT /settings/roles', granted)).toBe(true);
    expect(can(as('admin'), 'PUT /settings/roles', new Set())).toBe(false); // a revoke
  });

  it('lets anyone through public routes, nobody through callbacks, signed-in users through the rest', () => {
    expect(can(null, 'GET /products')).toBe(matrix.routes['GET /products'] === 'public');
    expect(can(as('admin'), 'POST /callbacks/payments/{provider}')).toBe(false);
    expect(can(null, 'GET /me')).toBe(false);
    expect(can(as('customer'), 'GET /me')).toBe(true);
  });
});
