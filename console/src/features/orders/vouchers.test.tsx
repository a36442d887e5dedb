// Component tests of the detail's vouchers section: which voucher actions each role sees for which
// voucher states (docs/permissions.md, docs/channels.md), the bodies they send, the revealed codes kept
// out of the caches, and the refunds section's link to finance for a failed refund.
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { App as AntApp } from 'antd';
import type { ReactNode } from 'react';
import { MemoryRouter } from 'react-router-dom';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Schemas } from '../../api/client';
import { resetClient } from '../../api/client';
import { SessionProvider } from '../../auth/SessionProvider';
import { setConfig } from '../../config';
import { I18nProvider } from '../../i18n/I18nProvider';
import type { Order } from './api';
import { RefundsSection, VouchersSection } from './sections';
import { movable, moveBody, revealable } from './VoucherActions';

// antd renders slowly in jsdom on a shared CPU.
vi.setConfig({ testTimeout: 60_000 });

function b64(value: object): string {
  return btoa(JSON.stringify(value)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function signIn(role: string) {
  const token = `${b64({ alg: 'none' })}.${b64({ sub: `demo-${role}`, 'cognito:groups': [role], exp: Math.floor(Date.now() / 1000) + 3600 })}.sig`;
  sessionStorage.setItem('oms.session', token);
}

function wrap(node: ReactNode) {
  const client = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  render(
    <QueryClientProvider client={client}>
      <SessionProvider>
        <I18nProvider locale="en">
          <AntApp>
            <MemoryRouter>{node}</MemoryRouter>
          </AntApp>
        </I18nProvider>
      </SessionProvider>
    </QueryClientProvider>,
  );
  return client;
}

const money = (amount: number) => ({ amount, currency: 'CNY' });
const ORDER = { orderId: '01VORDER', currency: 'CNY', lines: [], children: [] } as unknown as Order;

function voucher(id: string, state: Schemas['VoucherState'], kind: Schemas['DeliveryKind'] = 'code'): Schemas['Voucher'] {
  return {
    voucherId: id, state, kind, lineNo: 1, skuId: kind === 'service' ? 'CLOUD-1Y' : 'GIFT-100', deliveredAt: '2026-12-02T10:00:00Z',
    masked: kind === 'code' ? 'DE**********01' : null, url: kind === 'link' ? 'https://redeem.example.com/r/abc' : null,
  };
}

interface Call {
  method: string;
  path: string;
  body: unknown;
}

/** A fetch mock: GET vouchers answers the current list; POSTs answer `post(path, body)` (default 200 with the list). */
function mockApi(vouchers: Schemas['Voucher'][], post?: (path: string, body: unknown) => Response | undefined) {
  const calls: Call[] = [];
  vi.spyOn(globalThis, 'fetch').mockImplementation(async (input) => {
    const request = input as Request;
    const url = new URL(request.url);
    const text = request.method === 'GET' ? '' : await request.text();
    const body = text ? JSON.parse(text) : undefined;
    calls.push({ method: request.method, path: url.pathname, body });
    const json = (value: unknown, status = 200) =>
      new Response(JSON.stringify(value), { status, headers: { 'Content-Type': status >= 400 ? 'application/problem+json' : 'application/json' } });
    if (request.method === 'POST') {
      const answer = post?.(url.pathname, body);
      if (answer) return answer;
      return json({ orderId: ORDER.orderId, orderStatus: 'DELIVERED', delivered: 0, vouchers });
    }
    if (url.pathname.endsWith('/vouchers')) return json({ orderId: ORDER.orderId, vouchers });
    if (url.pathname.endsWith('/refunds')) {
      return json({
        items: [{
          refundId: 'R-FAILED', orderId: ORDER.orderId, status: 'FAILED', amount: money(100), reason: 'other', units: [], shipping: false,
          legs: [], caseId: null, createdAt: '2026-12-02T10:00:00Z', updatedAt: '2026-12-02T10:00:00Z', lastError: 'declined',
        }, {
          refundId: 'R-OK', orderId: ORDER.orderId, status: 'SUCCEEDED', amount: money(100), reason: 'other', units: [], shipping: false,
          legs: [], caseId: null, createdAt: '2026-12-02T10:00:00Z', updatedAt: '2026-12-02T10:00:00Z',
        }],
      });
    }
    return json({ type: 'about:blank', title: 'Not Found', status: 404 }, 404);
  });
  return calls;
}

function shownActions(): string[] {
  const row = document.querySelector('[data-testid="voucher-actions"]');
  if (!row) return [];
  return Array.from(row.querySelectorAll(':scope > button[data-testid^="voucher-"]'))
    .map((element) => element.getAttribute('data-testid') ?? '')
    .sort();
}

async function loaded() {
  await waitFor(() => expect(screen.getAllByTestId('voucher-state').length).toBeGreaterThan(0));
}

/** The modal (antd portals it to the body) holding the form of this test id. */
function dialog(testId: string): HTMLElement {
  return screen.getByTestId(testId).closest('.ant-modal') as HTMLElement;
}

beforeEach(() => {
  setConfig({ apiUrl: 'http://api.test', auth: { mode: 'local', tokenUrl: '', demoUsers: [] } });
  resetClient();
});

afterEach(() => {
  cleanup();
  sessionStorage.clear();
  localStorage.clear();
  vi.restoreAllMocks();
});

describe('voucher moves by state', () => {
  const all = [
    voucher('V1', 'PENDING_VERIFICATION'), voucher('V2', 'FROZEN'), voucher('V3', 'PENDING_ACTIVATION', 'service'),
    voucher('V4', 'ACTIVE', 'service'), voucher('V5', 'VERIFIED'), voucher('V6', 'REJECTED'), voucher('V7', 'REVOKED'),
    voucher('V8', 'PENDING_REDEMPTION', 'link'), voucher('V9', 'PENDING_AFTER_SALES'),
  ];
  const ids = (move: Parameters<typeof movable>[0]) => movable(move, all).map((v) => v.voucherId);

  it('follows the voucher state machine', () => {
    expect(ids('activate')).toEqual(['V3']);
    expect(ids('freeze')).toEqual(['V1', 'V3', 'V4', 'V8']);
    expect(ids('unfreeze')).toEqual(['V2']);
    expect(ids('reject')).toEqual(['V1', 'V2', 'V3', 'V8']);
    expect(revealable(all)).toBe(true);
    expect(revealable([voucher('A', 'REVOKED'), voucher('B', 'ACTIVE', 'service')])).toBe(false);
    expect(moveBody({ voucherIds: ['V1'], reason: '  fraud  ' })).toEqual({ voucherIds: ['V1'], reason: 'fraud' });
  });
});

describe('the vouchers section follows the role and the vouchers', () => {
  const mixed = [voucher('V1', 'PENDING_VERIFICATION'), voucher('V2', 'FROZEN'), voucher('V3', 'PENDING_ACTIVATION', 'service')];

  it('support: reveal, activate, freeze, unfreeze, reject', async () => {
    signIn('support');
    mockApi(mixed);
    wrap(<VouchersSection order={ORDER} />);
    await loaded();
    expect(shownActions()).toEqual(['voucher-activate', 'voucher-freeze', 'voucher-reject', 'voucher-reveal', 'voucher-unfreeze']);
  });

  it('a merchant moves vouchers but may not reveal them (no virtual:reveal)', async () => {
    signIn('merchant');
    mockApi(mixed);
    wrap(<VouchersSection order={ORDER} />);
    await loaded();
    expect(shownActions()).toEqual(['voucher-activate', 'voucher-freeze', 'voucher-reject', 'voucher-unfreeze']);
  });

  it('finance and the warehouse only see the list', async () => {
    for (const role of ['finance', 'warehouse']) {
      signIn(role);
      mockApi(mixed);
      wrap(<VouchersSection order={ORDER} />);
      await loaded();
      expect(shownActions(), role).toEqual([]);
      expect(screen.queryByTestId('voucher-actions')).toBeNull();
      cleanup();
      vi.restoreAllMocks();
    }
  });

  it('an admin on used and refunded codes: only the reveal of the used one', async () => {
    signIn('admin');
    mockApi([voucher('V5', 'VERIFIED'), voucher('V7', 'REVOKED')]);
    wrap(<VouchersSection order={ORDER} />);
    await loaded();
    expect(shownActions()).toEqual(['voucher-reveal']);
  });

  it('an admin on refunded codes only: nothing', async () => {
    signIn('admin');
    mockApi([voucher('V7', 'REVOKED')]);
    wrap(<VouchersSection order={ORDER} />);
    await loaded();
    expect(shownActions()).toEqual([]);
  });
});

describe('voucher actions call the API', () => {
  it('freeze sends the chosen open vouchers with the reason, then reads the vouchers again', async () => {
    signIn('support');
    const calls = mockApi([voucher('V1', 'PENDING_VERIFICATION'), voucher('V2', 'PENDING_VERIFICATION'), voucher('V3', 'FROZEN')]);
    wrap(<VouchersSection order={ORDER} />);
    await loaded();
    fireEvent.click(screen.getByTestId('voucher-freeze'));
    const modal = dialog('voucher-freeze-form');
    const boxes = within(modal).getAllByRole('checkbox');
    // Only the open vouchers are offered, all ticked.
    expect(boxes).toHaveLength(2);
    fireEvent.click(boxes[1]);
    fireEvent.change(screen.getByTestId('voucher-freeze-reason'), { target: { value: ' chargeback ' } });
    const readsBefore = calls.filter((call) => call.method === 'GET').length;
    fireEvent.click(screen.getByTestId('voucher-freeze-submit'));
    await waitFor(() => expect(calls.some((call) => call.method === 'POST')).toBe(true));
    const posted = calls.find((call) => call.method === 'POST') as Call;
    expect(posted.path).toBe('/orders/01VORDER/vouchers/freeze');
    expect(posted.body).toEqual({ voucherIds: ['V1'], reason: 'chargeback' });
    await waitFor(() => expect(calls.filter((call) => call.method === 'GET' && call.path.endsWith('/vouchers')).length).toBeGreaterThan(readsBefore));
  });

  it('activate sends the services without a reason', async () => {
    signIn('merchant');
    const calls = mockApi([voucher('V3', 'PENDING_ACTIVATION', 'service')]);
    wrap(<VouchersSection order={ORDER} />);
    await loaded();
    fireEvent.click(screen.getByTestId('voucher-activate'));
    expect(screen.queryByTestId('voucher-activate-reason')).toBeNull();
    fireEvent.click(screen.getByTestId('voucher-activate-submit'));
    await waitFor(() => expect(calls.some((call) => call.method === 'POST')).toBe(true));
    expect(calls.find((call) => call.method === 'POST')).toMatchObject({ path: '/orders/01VORDER/vouchers/activate', body: { voucherIds: ['V3'] } });
  });

  it('a refused reject shows its problem', async () => {
    signIn('admin');
    mockApi([voucher('V1', 'PENDING_VERIFICATION')], () =>
      new Response(JSON.stringify({ type: 'urn:oms:problem:conflict', title: 'Conflict', status: 409, detail: 'voucher V1 is VERIFIED' }), {
        status: 409,
        headers: { 'Content-Type': 'application/problem+json' },
      }),
    );
    wrap(<VouchersSection order={ORDER} />);
    await loaded();
    fireEvent.click(screen.getByTestId('voucher-reject'));
    fireEvent.change(screen.getByTestId('voucher-reject-reason'), { target: { value: 'fraud' } });
    fireEvent.click(screen.getByTestId('voucher-reject-submit'));
    await waitFor(() => expect(within(dialog('voucher-reject-form')).getByText(/voucher V1 is VERIFIED/)).toBeTruthy());
  });

  it('reveal asks a reason, shows the codes with a copy button, and keeps them nowhere after closing', async () => {
    signIn('support');
    const calls = mockApi([voucher('V1', 'PENDING_VERIFICATION')], (path) =>
      path.endsWith('/reveal')
        ? new Response(
            JSON.stringify({ orderId: ORDER.orderId, vouchers: [{ voucherId: 'V1', kind: 'code', state: 'PENDING_VERIFICATION', code: 'DEMO-GIFT-SECRET-01' }] }),
            { status: 200, headers: { 'Content-Type': 'application/json' } },
          )
        : undefined,
    );
    const writeText = vi.fn(async () => undefined);
    Object.defineProperty(navigator, 'clipboard', { value: { writeText }, configurable: true });
    const client = wrap(<VouchersSection order={ORDER} />);
    await loaded();
    fireEvent.click(screen.getByTestId('voucher-reveal'));
    // The reason is required.
    fireEvent.click(screen.getByTestId('voucher-reveal-submit'));
    await waitFor(() => expect(document.querySelector('.ant-form-item-explain-error')).toBeTruthy());
    expect(calls.some((call) => call.method === 'POST')).toBe(false);
    fireEvent.change(screen.getByTestId('voucher-reveal-reason'), { target: { value: ' shopper lost the e-mail ' } });
    fireEvent.click(screen.getByTestId('voucher-reveal-submit'));
    await waitFor(() => expect(screen.getByTestId('voucher-revealed-code').textContent).toContain('DEMO-GIFT-SECRET-01'));
    expect(calls.find((call) => call.method === 'POST')).toMatchObject({ path: '/orders/01VORDER/vouchers/reveal', body: { reason: 'shopper lost the e-mail' } });

    fireEvent.click(screen.getByTestId('voucher-reveal-copy-all'));
    await waitFor(() => expect(writeText).toHaveBeenCalledWith('DEMO-GIFT-SECRET-01'));

    fireEvent.click(screen.getByTestId('voucher-reveal-close'));
    await waitFor(() => expect(screen.queryByTestId('voucher-revealed')).toBeNull());
    expect(document.body.textContent).not.toContain('DEMO-GIFT-SECRET-01');
    const cached = JSON.stringify([
      client.getQueryCache().getAll().map((query) => query.state.data),
      client.getMutationCache().getAll().map((mutation) => mutation.state.data),
    ]);
    expect(cached).not.toContain('DEMO-GIFT-SECRET-01');

    // Opening it again asks for a reason again.
    fireEvent.click(screen.getByTestId('voucher-reveal'));
    expect(screen.getByTestId('voucher-reveal-reason')).toBeTruthy();
    expect(screen.queryByTestId('voucher-revealed')).toBeNull();
  });
});

describe('the refunds section', () => {
  it('links a failed refund to the finance page for finance, not for support', async () => {
    signIn('finance');
    mockApi([]);
    wrap(<RefundsSection order={ORDER} />);
    await waitFor(() => expect(screen.getAllByText('R-FAILED').length).toBeGreaterThan(0));
    const links = screen.getAllByTestId('refund-resolve-link');
    expect(links).toHaveLength(1);
    expect(links[0].getAttribute('href')).toBe('/refunds');
    cleanup();
    vi.restoreAllMocks();

    signIn('support');
    mockApi([]);
    wrap(<RefundsSection order={ORDER} />);
    await waitFor(() => expect(screen.getAllByText('R-FAILED').length).toBeGreaterThan(0));
    expect(screen.queryByTestId('refund-resolve-link')).toBeNull();
  });
});
