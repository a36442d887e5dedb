// Paying an order: one payment attempt per (order, method) with its own Idempotency-Key, kept across
// retries; and the local sandbox's "pay" call standing in for the provider's hosted page.

import { api, unwrap, type Schemas } from '../api/client';
import { config } from '../config';
import { attemptKey, finishAttempt } from './checkout';

export const PAYMENT_METHODS = ['alipay', 'wechat', 'card', 'crypto', 'bank_transfer', 'balance'] as const;
export type PaymentMethod = (typeof PAYMENT_METHODS)[number];

export async function createPayment(orderId: string, method: string): Promise<Schemas['PaymentCreated']> {
  const body = { method };
  const scope = `pay:${orderId}`;
  const key = attemptKey(sessionStorage, scope, body);
  const payment = unwrap(
    await api().POST('/orders/{orderId}/payments', {
      params: { path: { orderId }, header: { 'Idempotency-Key': key } },
      body,
    }),
  );
  finishAttempt(sessionStorage, scope);
  return payment;
}

/** Where the shop goes once an attempt exists: the order (paid at once, e.g. by balance) or its pay page. */
export function afterPayment(payment: Pick<Schemas['PaymentCreated'], 'orderId' | 'paymentId' | 'status'>): string {
  return payment.status === 'SUCCEEDED'
    ? `/shop/orders/${payment.orderId}?paid=1`
    : `/shop/pay/${payment.orderId}/${payment.paymentId}`;
}

/** The sandbox provider's pay endpoint for this attempt, or null where there is no sandbox (AWS). */
export function sandboxPayUrl(paymentId: string): string | null {
  const sandbox = config().sandbox;
  if (!sandbox?.payUrl) return null;
  const path = sandbox.payUrl.replace('{paymentId}', encodeURIComponent(paymentId));
  if (/^https?:\/\//.test(path)) return path;
  return `${config().apiUrl || window.location.origin}${path}`;
}

export async function sandboxPay(paymentId: string, body: Record<string, unknown> = {}): Promise<void> {
  const url = sandboxPayUrl(paymentId);
  if (!url) throw new Error('no payment sandbox');
  const response = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
  if (!response.ok) throw new Error(`HTTP ${response.status}: ${await response.text()}`);
}

/** Order states at which the money has arrived. */
export const PAID_STATES = ['PAID', 'PARTIALLY_SHIPPED', 'SHIPPED', 'DELIVERED', 'COMPLETED'];
