// The sandbox pay page: with the local sandbox it pays through config().sandbox.payUrl (an empty body:
// the exact amount) and shows the confirmation once the order reads PAID; without one (AWS) it shows the
// provider's data from the attempt instead.
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { App as AntApp } from 'antd';
import { MemoryRouter, Route, Routes } from 'react-router-dom';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { resetClient } from '../api/client';
import { SessionProvider } from '../auth/SessionProvider';
import { setConfig, type ConsoleConfig } from '../config';
import { I18nProvider } from '../i18n/I18nProvider';
import { PayPage } from './Pay';

const money = (amount: number) => ({ amount, currency: 'CNY' });

function order(status: string) {
  return {
    orderId: 'O1', orderNumber: '2612020001', customerId: 'alice', status, currency: 'CNY', storeIds: ['demo'],
    paymentDeadline: '2026-12-02T16:00:00Z', createdAt: '2026-12-02T15:45:00Z', updatedAt: '2026-12-02T15:45:00Z',
    lines: [], children: [], history: [], note: null, cancellation: null, deliveredAt: null, autoConfirmAt: null,
    shippingAddress: null, pricing: null, reportingTotal: null,
    breakdown: { subtotal: money(14700), shipping: money(0), discount: money(1000), total: money(13700) },
    payment: {
      status: status === 'PAID' ? 'PAID' : 'PENDING', owed: money(13700), received: money(status === 'PAID' ? 13700 : 0),
      refunded: money(0), outstanding: money(status === 'PAID' ? 0 : 13700), refunds: [],
      attempts: [
        {
          paymentId: 'O101', orderId: 'O1', method: 'wechat', status: status === 'PAID' ? 'SUCCEEDED' : 'CREATED', amount: money(13700),
          goodsAmount: money(13700), surcharge: money(0), received: null, providerReference: null,
          instructions: { code_url: 'weixin://wxpay/bizpayurl?pr=abc' }, review: null, closedAtProvider: null,
          createdAt: '2026-12-02T15:45:00Z', updatedAt: '2026-12-02T15:45:00Z',
        },
      ],
    },
  };
}

function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });
}

function token(): string {
  const part = (value: unknown) => btoa(JSON.stringify(value)).replace(/=+$/, '');
  return `${part({ alg: 'none' })}.${part({ sub: 'alice', 'cognito:groups': ['customer'], exp: Math.floor(Date.now() / 1000) + 3600 })}.sig`;
}

function renderPay() {
  return render(
    <QueryClientProvider client={new QueryClient({ defaultOptions: { queries: { retry: false } } })}>
      <SessionProvider>
        <I18nProvider locale="en">
          <AntApp>
            <MemoryRouter initialEntries={['/shop/pay/O1/O101']}>
              <Routes>
                <Route path="/shop/pay/:orderId/:paymentId" element={<PayPage />} />
              </Routes>
            </MemoryRouter>
          </AntApp>
        </I18nProvider>
      </SessionProvider>
    </QueryClientProvider>,
  );
}

describe('PayPage', () => {
  let status = 'PENDING_PAYMENT';
  const paid: { url: string; body: string }[] = [];
  const base: ConsoleConfig = { apiUrl: 'http://api.test', auth: { mode: 'local', tokenUrl: '', demoUsers: [] }, store: 'demo' };

  beforeEach(() => {
    status = 'PENDING_PAYMENT';
    paid.length = 0;
    sessionStorage.setItem('oms.session', token());
    resetClient();
    vi.spyOn(globalThis, 'fetch').mockImplementation(async (input, init) => {
      if (typeof input === 'string') {
        paid.push({ url: input, body: String(init?.body) });
        status = 'PAID';
        return json(200, { method: 'wechat', deliveries: [{ status: 204, body: '' }] });
      }
      const url = new URL((input as Request).url);
      if (url.pathname === '/orders/O1') return json(200, order(status));
      return json(404, { status: 404, detail: url.pathname });
    });
  });

  afterEach(() => {
    cleanup();
    vi.restoreAllMocks();
  });

  it('pays through the local sandbox and confirms once the order is paid', async () => {
    setConfig({ ...base, sandbox: { payUrl: '/_local/sandbox/payments/{paymentId}/pay' } });
    renderPay();
    expect((await screen.findByTestId('pay-amount')).textContent).toContain('137.00');
    expect(screen.queryByTestId('provider-instructions')).toBeNull();
    fireEvent.click(screen.getByTestId('sandbox-pay'));
    expect(await screen.findByTestId('pay-confirmation', {}, { timeout: 5000 })).toBeTruthy();
    expect(paid).toEqual([{ url: 'http://api.test/_local/sandbox/payments/O101/pay', body: '{}' }]);
    expect(screen.getByTestId('paid-order-number').textContent).toContain('2612020001');
  });

  it("shows the provider's QR data where there is no sandbox", async () => {
    setConfig(base);
    renderPay();
    const instructions = await screen.findByTestId('provider-instructions');
    expect(instructions.textContent).toContain('weixin://wxpay/bizpayurl?pr=abc');
    expect(screen.queryByTestId('sandbox-pay')).toBeNull();
    await waitFor(() => expect(screen.getByTestId('pay-amount').textContent).toContain('137.00'));
  });
});
