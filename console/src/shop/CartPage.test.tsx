// The cart page against a mocked API: it prices the stored cart with POST /orders/quote (coupon and points
// included) and shows the quote's lines as answered; a refused coupon can be taken out of the cart.
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { App as AntApp } from 'antd';
import { MemoryRouter, Route, Routes } from 'react-router-dom';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { resetClient } from '../api/client';
import { SessionProvider } from '../auth/SessionProvider';
import { setConfig } from '../config';
import { I18nProvider } from '../i18n/I18nProvider';
import { addCoupon, addLine, emptyCart, readCart, writeCart } from './cart';
import { CartPage } from './CartPage';

function token(claims: Record<string, unknown>): string {
  const part = (value: unknown) => btoa(JSON.stringify(value)).replace(/=+$/, '').replace(/\+/g, '-').replace(/\//g, '_');
  return `${part({ alg: 'none' })}.${part(claims)}.sig`;
}

const money = (amount: number) => ({ amount, currency: 'CNY' });
const zero = money(0);
const QUOTE = {
  currency: 'CNY',
  lines: [
    {
      lineNo: 1, skuId: 'TEE-RED-M', productId: 'P1', storeId: 'demo', warehouseId: 'WH-SH', name: 'Red / M', categoryId: null,
      unitPrice: money(4900), unitPoints: 0, quantity: 3, original: money(14700), discounts: [], goodsDiscount: money(1000),
      shipping: zero, shippingDiscount: zero, pointsRequired: 0, pointsRedeemed: 0, pointsValue: zero, balance: zero,
      payable: money(13700), pointsEarned: 137,
    },
  ],
  subtotal: money(14700),
  promotions: [],
  coupons: [{ source: 'coupon', id: 'WELCOME10', kind: 'amount_off', target: 'goods', amount: money(1000) }],
  goodsDiscount: money(1000),
  shipping: zero,
  shippingDiscount: zero,
  points: { required: 0, redeemed: 0, value: zero, debited: 0, earned: 137 },
  balance: zero,
  total: money(13700),
  fx: null,
  reportingTotal: money(13700),
  freight: [],
  breakdown: { subtotal: money(14700), shipping: zero, discount: money(1000), total: money(13700) },
};

function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': status >= 400 ? 'application/problem+json' : 'application/json' } });
}

function renderCart() {
  const client = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  return render(
    <QueryClientProvider client={client}>
      <SessionProvider>
        <I18nProvider locale="en">
          <AntApp>
            <MemoryRouter initialEntries={['/shop/cart']}>
              <Routes>
                <Route path="/shop/cart" element={<CartPage />} />
              </Routes>
            </MemoryRouter>
          </AntApp>
        </I18nProvider>
      </SessionProvider>
    </QueryClientProvider>,
  );
}

describe('CartPage', () => {
  const quotes: unknown[] = [];
  let quoteAnswer: () => Response;

  beforeEach(() => {
    quotes.length = 0;
    localStorage.clear();
    sessionStorage.clear();
    sessionStorage.setItem('oms.session', token({ sub: 'alice', 'cognito:groups': ['customer'], exp: Math.floor(Date.now() / 1000) + 3600 }));
    setConfig({ apiUrl: 'http://api.test', auth: { mode: 'local', tokenUrl: '', demoUsers: [] }, store: 'demo' });
    resetClient();
    writeCart(localStorage, 'alice', addCoupon(addLine(emptyCart(), { skuId: 'TEE-RED-M', productId: 'P1', productName: 'Classic Tee', skuName: 'Red / M' }, 3), 'WELCOME10'));
    quoteAnswer = () => json(200, QUOTE);
    vi.spyOn(globalThis, 'fetch').mockImplementation(async (input) => {
      const request = input as Request;
      const url = new URL(request.url);
      if (url.pathname === '/orders/quote') {
        quotes.push(JSON.parse(await request.clone().text()));
        return quoteAnswer();
      }
      if (url.pathname === '/orders/coupon-options') return json(200, { items: [] });
      if (url.pathname === '/customers/me/points') return json(200, { customerId: 'alice', available: 800, entries: [], next_cursor: null });
      return json(404, { type: 'urn:oms:problem:not-found', title: 'Not found', status: 404, detail: url.pathname });
    });
  });

  afterEach(() => {
    cleanup();
    vi.restoreAllMocks();
  });

  it('prices the stored cart and shows the quote as the API answered it', async () => {
    renderCart();
    expect(await screen.findByText('Classic Tee')).toBeTruthy();
    const total = await screen.findByTestId('quote-total');
    expect(total.textContent).toContain('137.00');
    expect(screen.getByTestId('quote-coupon-WELCOME10').textContent).toContain('10.00');
    expect(screen.getByTestId('quote-subtotal').textContent).toContain('147.00');
    expect(screen.getByTestId('quote-shipping').textContent).toContain('Free');
    expect(quotes[0]).toEqual({ lines: [{ skuId: 'TEE-RED-M', quantity: 3 }], coupons: ['WELCOME10'] });
    expect((await screen.findByTestId('points-available')).textContent).toContain('800');
    expect((screen.getByTestId('to-checkout') as HTMLButtonElement).disabled).toBe(false);
  });

  it('offers to take out a coupon the quote refuses, and prices again without it', async () => {
    quoteAnswer = () =>
      json(422, {
        type: 'urn:oms:problem:coupon-not-applicable', title: 'The coupon cannot be used on this order', status: 422,
        detail: 'coupon WELCOME10: you have used this coupon as often as allowed', code: 'WELCOME10', reason: 'coupon-customer-limit-reached',
      });
    renderCart();
    const fix = await screen.findByTestId('quote-fix');
    expect(fix.textContent).toContain('WELCOME10');
    expect((screen.getByTestId('to-checkout') as HTMLButtonElement).disabled).toBe(true);
    quoteAnswer = () => json(200, { ...QUOTE, coupons: [], goodsDiscount: zero, total: money(14700) });
    fireEvent.click(within(fix).getByTestId('quote-fix-button'));
    await waitFor(() => expect(readCart(localStorage, 'alice').coupons).toEqual([]));
    await waitFor(() => expect(screen.getByTestId('quote-total').textContent).toContain('147.00'));
    expect(quotes.at(-1)).toEqual({ lines: [{ skuId: 'TEE-RED-M', quantity: 3 }], coupons: [] });
  });
});
