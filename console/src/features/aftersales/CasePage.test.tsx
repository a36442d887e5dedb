// The case page against a mocked API: what the case claims, the step it waits for, and only the moves
// the role may make there; a refused move shows the API's problem.
import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { resetClient } from '../../api/client';
import { setConfig } from '../../config';
import { json, Providers, signInAs } from '../reports/testing';
import { CasePage } from './CasePage';

const item = {
  caseId: 'AS1', orderId: 'O1', childOrderId: 'O1-01', customerId: 'alice', storeId: 'demo', type: 'return_refund', status: 'REQUESTED',
  waitingFor: 'decision', deadline: new Date(Date.now() + 9 * 60_000 + 30_000).toISOString(), reason: 'damaged', note: 'Box crushed',
  lines: [{ lineNo: 1, quantity: 1, skuId: 'TEE-RED-M' }], amount: { amount: 4900, currency: 'CNY' }, toBalance: false,
  evidence: ['evidence/alice/1.jpg'], disputed: false, decisions: [], createdAt: '2026-12-02T10:00:00Z', createdBy: 'alice',
  updatedAt: '2026-12-02T10:00:00Z',
};

const posted: string[] = [];

function mockApi(permissions: string[]) {
  vi.spyOn(globalThis, 'fetch').mockImplementation(async (input) => {
    const request = input instanceof Request ? input : new Request(String(input));
    const url = new URL(request.url);
    if (url.pathname === '/me/permissions') return json({ permissions });
    if (url.pathname === '/after-sales/AS1') return json(item);
    if (url.pathname === '/orders/O1') return json({ orderId: 'O1', lines: [{ lineNo: 1, name: 'Red tee / M' }] });
    if (request.method === 'POST') {
      posted.push(url.pathname);
      return json({ type: 'urn:oms:problem:case-not-waiting', title: 'Conflict', status: 409, detail: 'the case no longer waits for a decision' }, 409);
    }
    return json({ type: 'urn:oms:problem:not-found', title: 'Not found', status: 404 }, 404);
  });
}

beforeEach(() => {
  setConfig({ apiUrl: 'http://api.test', auth: { mode: 'local', tokenUrl: '', demoUsers: [] } });
  resetClient();
  posted.length = 0;
});

afterEach(() => {
  cleanup();
  vi.restoreAllMocks();
  sessionStorage.clear();
});

const page = () =>
  render(
    <Providers path="/after-sales/:caseId" route="/after-sales/AS1">
      <CasePage />
    </Providers>,
  );

describe('CasePage', { timeout: 30_000 }, () => {
  it('shows the claim, the step with its countdown, and support’s decision buttons', async () => {
    signInAs('demo-support', ['support']);
    mockApi(['after-sales:read-any', 'after-sales:decide', 'after-sales:open-any', 'after-sales:arbitrate']);
    page();
    expect(await screen.findByText('Red tee / M', {}, { timeout: 15_000 })).toBeTruthy();
    expect(screen.getAllByText('Return and refund').length).toBeGreaterThan(0);
    expect(screen.getByTestId('case-waiting-for').textContent).toBe('Decision');
    expect(screen.getByTestId('deadline').textContent).toBe('in 9 minutes');
    expect(screen.getByText('evidence/alice/1.jpg')).toBeTruthy();
    expect(screen.getByTestId('case-action-approve')).toBeTruthy();
    expect(screen.getByTestId('case-action-reject')).toBeTruthy();
    expect(screen.queryByTestId('case-action-inspect')).toBeNull();
  });

  it('shows the API problem when the move is refused', async () => {
    signInAs('demo-support', ['support']);
    mockApi(['after-sales:read-any', 'after-sales:decide', 'after-sales:open-any']);
    page();
    fireEvent.click(await screen.findByTestId('case-action-approve', {}, { timeout: 15_000 }));
    fireEvent.click(await screen.findByTestId('case-action-confirm', {}, { timeout: 15_000 }));
    await waitFor(() => expect(posted).toEqual(['/after-sales/AS1/approve']), { timeout: 15_000 });
    const problem = await screen.findByTestId('problem', {}, { timeout: 15_000 });
    expect(problem.getAttribute('data-problem-type')).toBe('urn:oms:problem:case-not-waiting');
  });

  it('offers the warehouse nothing at the decision step', async () => {
    signInAs('demo-warehouse', ['warehouse']);
    mockApi(['after-sales:receive']);
    page();
    expect(await screen.findByText('Nothing for your role to do at this step.', {}, { timeout: 15_000 })).toBeTruthy();
  });
});
