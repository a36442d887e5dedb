// Component tests of the order pages: the role and state gating of the detail's actions, the batch
// result table, and the list page's query (major → minor units) against a mocked API.
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { App as AntApp } from 'antd';
import type { ReactNode } from 'react';
import { MemoryRouter, Route, Routes } from 'react-router-dom';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

// antd renders slowly in jsdom on a shared CPU.
vi.setConfig({ testTimeout: 60_000 });
import type { Schemas } from '../../api/client';
import { resetClient } from '../../api/client';
import { SessionProvider } from '../../auth/SessionProvider';
import { setConfig } from '../../config';
import { I18nProvider } from '../../i18n/I18nProvider';
import type { Order } from './api';
import { BatchResults, batchBody } from './BatchActions';
import { manualOrderBody, type ManualForm } from './ManualOrderPage';
import { OrderActions } from './OrderActions';
import { OrderListPage } from './OrderListPage';

function b64(value: object): string {
  return btoa(JSON.stringify(value)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function signIn(role: string) {
  const token = `${b64({ alg: 'none' })}.${b64({ sub: `demo-${role}`, 'cognito:groups': [role], exp: Math.floor(Date.now() / 1000) + 3600 })}.sig`;
  sessionStorage.setItem('oms.session', token);
}

function wrap(node: ReactNode, path = '/') {
  const client = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  return render(
    <QueryClientProvider client={client}>
      <SessionProvider>
        <I18nProvider locale="en">
          <AntApp>
            <MemoryRouter initialEntries={[path]}>
              <Routes>
                <Route path="*" element={node} />
              </Routes>
            </MemoryRouter>
          </AntApp>
        </I18nProvider>
      </SessionProvider>
    </QueryClientProvider>,
  );
}

const money = (amount: number) => ({ amount, currency: 'CNY' });

function order(status: Order['status'], extra: Partial<Order> = {}): Order {
  return {
    orderId: '01ORDER', orderNumber: '26120200000001', customerId: 'c-1', status, currency: 'CNY',
    reportingTotal: money(5900), storeIds: ['demo'], paymentDeadline: null, createdAt: '2026-12-02T10:00:00Z',
    updatedAt: '2026-12-02T10:00:00Z', deliveredAt: null, autoConfirmAt: null, shippingAddress: null, note: null,
    cancellation: null, history: [], version: 2, crossBorderAllowance: null, pricing: null,
    breakdown: { subtotal: money(4900), shipping: money(1000), discount: money(0), total: money(5900) },
    lines: [{
      lineNo: 1, skuId: 'TEE-RED-M', productId: 'P', storeId: 'demo', warehouseId: 'WH-SH', name: 'Red / M',
      unitPrice: money(4900), quantity: 1, lineTotal: money(4900), shipping: money(1000), discount: money(0),
      payable: money(5900), pricing: null,
    }],
    children: [{
      childOrderId: '01ORDER-01', childNo: 1, status: status === 'PENDING_PAYMENT' ? 'AWAITING_SHIPMENT' : 'AWAITING_SHIPMENT',
      storeId: 'demo', warehouseId: 'WH-SH', handling: 'normal', crossBorder: false, total: money(5900),
      lines: [{ lineNo: 1, skuId: 'TEE-RED-M', quantity: 1, amounts: {} }], shipped: {}, releasedAt: null,
      cancellation: null, shipments: [], version: 1,
    }],
    payment: {
      status: status === 'PENDING_PAYMENT' ? 'UNPAID' : 'PAID', owed: money(5900),
      received: money(status === 'PENDING_PAYMENT' ? 0 : 5900), refunded: money(0),
      outstanding: money(status === 'PENDING_PAYMENT' ? 5900 : 0), attempts: [], refunds: [],
    },
    ...extra,
  } as Order;
}

function shownActions(): string[] {
  return Array.from(document.querySelectorAll('[data-testid^="action-"]'))
    .map((element) => element.getAttribute('data-testid') ?? '')
    .filter((id) => !id.endsWith('-submit') && !id.endsWith('-form'))
    .sort();
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

describe('the order actions follow the role and the order state', () => {
  it('an admin on a paid order', () => {
    signIn('admin');
    wrap(<OrderActions order={order('PAID')} flags={[]} />);
    expect(shownActions()).toEqual(['action-after-sales', 'action-cancel', 'action-flag', 'action-hold', 'action-refund', 'action-ship']);
  });

  it('the warehouse on a paid order: ship only', () => {
    signIn('warehouse');
    wrap(<OrderActions order={order('PAID')} flags={[]} />);
    expect(shownActions()).toEqual(['action-ship']);
  });

  it('support on an unpaid order: cancel, edit, flag', () => {
    signIn('support');
    wrap(<OrderActions order={order('PENDING_PAYMENT')} flags={['special']} />);
    expect(shownActions()).toEqual(['action-cancel', 'action-edit', 'action-unflag']);
  });

  it('finance on an unpaid offline manual order: the offline payment', () => {
    signIn('finance');
    wrap(<OrderActions order={order('PENDING_PAYMENT', { manual: { paymentMode: 'offline' } })} flags={[]} />);
    expect(shownActions()).toEqual(['action-offline-payment']);
  });

  it('an admin on a paid risk-review hold: the review, no staff release', () => {
    signIn('admin');
    wrap(<OrderActions order={order('ON_HOLD')} flags={['risk-review', 'on-hold']} />);
    expect(shownActions()).toEqual(['action-cancel', 'action-flag', 'action-refund', 'action-risk-review']);
  });
});

describe('batch results', () => {
  it('lists each order with its result and problem', () => {
    signIn('admin');
    const answer: Schemas['BatchAnswer'] = {
      batchId: 'B1', action: 'cancel', succeeded: 1, failed: 1,
      results: [
        { orderId: 'O1', status: 'succeeded' },
        { orderId: 'O2', status: 'failed', problem: { type: 'urn:oms:problem:illegal-transition', title: 'Illegal state transition', status: 409, detail: 'order cannot move from CANCELLED to CANCELLED' } },
      ],
    };
    wrap(<BatchResults answer={answer} numbers={{ O1: '2612001', O2: '2612002' }} />);
    expect(screen.getByTestId('batch-summary').textContent).toContain('1 succeeded, 1 failed');
    const failed = document.querySelector('[data-result="failed"]') as HTMLElement;
    expect(within(failed).getByText('2612002')).toBeTruthy();
    expect(within(failed).getByTestId('batch-problem').textContent).toContain('Illegal state transition (409)');
    expect(within(failed).getByTestId('batch-problem').textContent).toContain('CANCELLED to CANCELLED');
    expect(within(document.querySelector('[data-result="succeeded"]') as HTMLElement).getByText('Succeeded')).toBeTruthy();
  });

  it('builds each action body with only its fields', () => {
    expect(batchBody('cancel', ['A'], { reason: ' r ' })).toEqual({ action: 'cancel', orderIds: ['A'], reason: 'r' });
    expect(batchBody('ship', ['A', 'B'], { carrier: 'sf', tracking: { A: ' 1 ', B: '2' } })).toEqual({
      action: 'ship', orderIds: ['A', 'B'], carrier: 'sf', trackingNumbers: { A: '1', B: '2' },
    });
    expect(batchBody('flag', ['A'], {})).toEqual({ action: 'flag', orderIds: ['A'], flag: 'special' });
    expect(batchBody('note', ['A'], { noteKind: 'communication', noteChannel: 'phone', noteText: 'hi', noteVisibility: 'shopper' })).toEqual({
      action: 'note', orderIds: ['A'], note: { kind: 'communication', text: 'hi', visibility: 'internal', channel: 'phone' },
    });
    expect(batchBody('review', ['A'], { decision: 'reject', reason: 'no money' })).toEqual({
      action: 'review', orderIds: ['A'], decision: 'reject', reason: 'no money',
    });
    expect(batchBody('deliver', ['A'], { reason: 'ignored' })).toEqual({ action: 'deliver', orderIds: ['A'] });
  });
});

describe('the manual order body', () => {
  it('converts amounts and picks the customer', () => {
    const values: ManualForm = {
      customerMode: 'new', customer: { name: ' Bob ', email: 'bob@example.com' },
      lines: [{ skuId: ' TEE-RED-M ', quantity: 2 }], coupons: ['C10'], pointsMode: 'max', balanceMode: 'some', balance: '12.5',
      discountMode: 'amount', discountAmount: '8', discountReason: 'loyal', internalNote: 'by phone',
      address: { name: 'A', phone: '1', line1: 'l', city: 'c', country: 'cn' }, paymentMode: 'offline',
    };
    expect(manualOrderBody(values)).toEqual({
      customer: { name: 'Bob', email: 'bob@example.com', phone: null },
      lines: [{ skuId: 'TEE-RED-M', quantity: 2 }],
      coupons: ['C10'], points: 'max', balance: { amount: 1250, currency: 'CNY' },
      manualDiscount: { amount: { amount: 800, currency: 'CNY' } }, discountReason: 'loyal', notes: ['by phone'],
      shippingAddress: { name: 'A', phone: '1', line1: 'l', line2: null, city: 'c', region: null, postalCode: null, country: 'CN' },
      paymentMode: 'offline',
    });
    expect(manualOrderBody({ ...values, customerMode: 'existing', customerId: 'c-9', discountMode: 'bps', percent: 7.5, pointsMode: 'none', balanceMode: 'none' }))
      .toMatchObject({ customerId: 'c-9', manualDiscount: { bps: 750 } });
  });
});

describe('the order list', () => {
  it('asks GET /orders with the address filters in minor units and shows the rows', async () => {
    signIn('admin');
    const urls: string[] = [];
    vi.spyOn(globalThis, 'fetch').mockImplementation(async (input) => {
      const url = input instanceof Request ? input.url : String(input);
      urls.push(url);
      const page = {
        items: [{
          orderId: '01A', orderNumber: '26120211112222', customerId: 'c-1', status: 'PAID', currency: 'CNY', total: money(12345),
          reportingTotal: money(12345), storeIds: ['demo'], paymentDeadline: null, createdAt: '2026-12-02T10:00:00Z',
          updatedAt: '2026-12-02T10:00:00Z', paidAt: '2026-12-02T10:01:00Z', paymentMethod: 'wechat',
        }],
        next_cursor: 'CURSOR1',
      };
      return new Response(JSON.stringify(page), { status: 200, headers: { 'Content-Type': 'application/json' } });
    });
    wrap(<OrderListPage />, '/orders?amountMin=12.5&status=PAID&flags=special');
    await waitFor(() => expect(screen.getByText('26120211112222')).toBeTruthy());
    const first = new URL(urls.find((url) => url.includes('/orders?')) ?? '');
    expect(first.searchParams.get('amountMin')).toBe('1250');
    expect(first.searchParams.get('status')).toBe('PAID');
    expect(first.searchParams.get('flags')).toBe('special');
    // jsdom has no wide screen: the phone's cards.
    expect(screen.getByTestId('orders-list').getAttribute('data-layout')).toBe('cards');
    expect(screen.getByText(/WeChat Pay/)).toBeTruthy();
    expect(screen.getByText('CN¥123.45')).toBeTruthy();

    fireEvent.click(screen.getByTestId('load-more'));
    await waitFor(() => expect(urls.some((url) => url.includes('cursor=CURSOR1'))).toBe(true));
  });
});
