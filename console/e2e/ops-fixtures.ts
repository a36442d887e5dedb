// Data the ops specs create through the API: a paid order (optionally paid short, for an anomaly), a
// delivered one (shipped, then the sandbox carrier's DELIVERED), and an after-sales case on it.
import { randomUUID } from 'node:crypto';
import type { APIRequestContext } from '@playwright/test';
import { apiAs, expect, origin } from './fixtures';

type Call = Awaited<ReturnType<typeof apiAs>>;

const ADDRESS = { name: 'Alice Ops', phone: '13800000000', line1: '1 Nanjing Rd', city: 'Shanghai', country: 'CN' };

export async function callers(request: APIRequestContext, baseURL: string | undefined) {
  return {
    admin: await apiAs(request, baseURL, 'admin'),
    customer: await apiAs(request, baseURL, 'customer'),
    warehouse: await apiAs(request, baseURL, 'warehouse'),
    local: async (path: string, data?: unknown) => {
      const response = await request.post(`${origin(baseURL)}${path}`, { data: data ?? {} });
      expect(response.ok(), `${path}: ${response.status()}`).toBeTruthy();
      return response.json() as Promise<Record<string, unknown>>;
    },
  };
}

export interface Placed {
  orderId: string;
  childOrderId: string;
  total: number;
  paymentId: string;
}

/** A customer's order of one SKU, paid at the sandbox provider (`short` minor units less than its total). */
export async function paidOrder(
  request: APIRequestContext,
  baseURL: string | undefined,
  options: { skuId?: string; quantity?: number; short?: number } = {},
): Promise<Placed> {
  const { customer, admin, local } = await callers(request, baseURL);
  const placed = await customer<{ orderId: string; breakdown: { total: { amount: number } } }>(
    'POST',
    '/orders',
    { lines: [{ skuId: options.skuId ?? 'NOTE-A5', quantity: options.quantity ?? 1 }], shippingAddress: ADDRESS },
    { 'Idempotency-Key': randomUUID() },
  );
  expect(placed.status, JSON.stringify(placed.body)).toBe(201);
  const { orderId } = placed.body;
  const total = placed.body.breakdown.total.amount;
  const attempt = await customer<{ paymentId: string }>('POST', `/orders/${orderId}/payments`, { method: 'alipay' }, {
    'Idempotency-Key': randomUUID(),
  });
  expect(attempt.status, JSON.stringify(attempt.body)).toBe(201);
  await local(`/_local/sandbox/payments/${attempt.body.paymentId}/pay`, options.short ? { amount: total - options.short } : {});
  const want = options.short ? 'ON_HOLD' : 'PAID';
  let order: { status: string; children: { childOrderId: string }[] } = { status: '', children: [] };
  await expect
    .poll(async () => {
      order = (await admin<typeof order>('GET', `/orders/${orderId}`)).body;
      return order.status;
    })
    .toBe(want);
  return { orderId, childOrderId: order.children[0].childOrderId, total, paymentId: attempt.body.paymentId };
}

/** A paid order shipped by the warehouse and delivered by the sandbox carrier. */
export async function deliveredOrder(request: APIRequestContext, baseURL: string | undefined): Promise<Placed> {
  const placed = await paidOrder(request, baseURL, { skuId: 'TEE-RED-M', quantity: 2 });
  const { admin, warehouse, local } = await callers(request, baseURL);
  const trackingNumber = `SF${randomUUID().replace(/-/g, '').slice(0, 12).toUpperCase()}`;
  const shipped = await warehouse('POST', `/orders/${placed.childOrderId}/shipments`, { carrier: 'sf', trackingNumber });
  expect(shipped.status, JSON.stringify(shipped.body)).toBe(201);
  await local('/_local/sandbox/carriers/sf/events', { trackingNumber, status: 'DELIVERED' });
  await expect.poll(async () => (await admin<{ status: string }>('GET', `/orders/${placed.orderId}`)).body.status).toBe('DELIVERED');
  return placed;
}

/** A return-and-refund case on a delivered order, opened by its customer. */
export async function returnCase(request: APIRequestContext, baseURL: string | undefined, call?: Call) {
  const order = await deliveredOrder(request, baseURL);
  const customer = call ?? (await apiAs(request, baseURL, 'customer'));
  const opened = await customer<{ caseId: string; status: string }>(
    'POST',
    `/orders/${order.orderId}/after-sales`,
    { childOrderId: order.childOrderId, type: 'return_refund', lines: [{ lineNo: 1, quantity: 1 }], reason: 'damaged', note: 'The box arrived crushed' },
    { 'Idempotency-Key': randomUUID() },
  );
  expect(opened.status, JSON.stringify(opened.body)).toBe(201);
  return { ...order, caseId: opened.body.caseId };
}
