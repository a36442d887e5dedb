// Each demo role signs in through the sign-in page and sees only the console pages and order actions its
// permissions allow. The expectations are written from docs/permissions.md (not from the console's code);
// the API still refuses what a role may not do, shown here by calling it directly.
import { randomUUID } from 'node:crypto';
import { apiAs, expect, origin, screenshot, signInWithPage, test, type DemoKey } from './fixtures';

const PAGES = [
  '/', '/orders', '/after-sales', '/anomalies', '/refunds', '/risk', '/settings/payment-methods', '/reports',
  '/exports', '/channel-stores', '/ecommerce-orders', '/code-pools', '/daily-checks', '/settings/roles', '/audit',
  '/stock', '/categories', '/promotions', '/coupons', '/points',
] as const;

// ✓ cells of docs/permissions.md for the route each page reads or acts on first.
const SEES: Record<Exclude<DemoKey, 'customer' | 'customer_2'>, (typeof PAGES)[number][]> = {
  admin: [...PAGES],
  support: ['/', '/orders', '/after-sales', '/anomalies', '/risk', '/exports', '/channel-stores', '/ecommerce-orders', '/daily-checks'],
  warehouse: ['/orders', '/after-sales', '/exports'],
  finance: ['/', '/orders', '/after-sales', '/anomalies', '/refunds', '/settings/payment-methods', '/reports', '/exports',
    '/channel-stores', '/ecommerce-orders', '/daily-checks', '/points'],
  merchant: ['/', '/orders', '/exports', '/code-pools'],
};

const ADDRESS = { name: 'Role Check', phone: '13800000000', line1: '1 Nanjing Rd', city: 'Shanghai', country: 'CN' };

for (const [role, pages] of Object.entries(SEES) as [keyof typeof SEES, string[]][]) {
  test(`${role} sees only its pages`, async ({ page }) => {
    await signInWithPage(page, role);
    const menu = page.getByTestId('side-menu');
    await expect(menu).toBeVisible();
    for (const path of PAGES) {
      const entry = menu.locator(`[data-menu-path="${path}"]`);
      if (pages.includes(path)) await expect(entry, `${role} sees ${path}`).toHaveCount(1);
      else await expect(entry, `${role} does not see ${path}`).toHaveCount(0);
    }
    await screenshot(page, `menu-${role}`);
  });
}

test('order actions follow the role, and the API refuses what the console hides', async ({ page, request, baseURL }) => {
  const customer = await apiAs(request, baseURL, 'customer');
  const placed = await customer<{ orderId: string }>(
    'POST', '/orders', { lines: [{ skuId: 'TEE-RED-M', quantity: 1 }], shippingAddress: ADDRESS }, { 'Idempotency-Key': randomUUID() },
  );
  expect(placed.status, JSON.stringify(placed.body)).toBe(201);
  const orderId = placed.body.orderId;
  const attempt = await customer<{ paymentId: string }>(
    'POST', `/orders/${orderId}/payments`, { method: 'wechat' }, { 'Idempotency-Key': randomUUID() },
  );
  expect(attempt.status, JSON.stringify(attempt.body)).toBe(201);
  expect((await request.post(`${origin(baseURL)}/_local/sandbox/payments/${attempt.body.paymentId}/pay`, { data: {} })).ok()).toBe(true);
  await expect.poll(async () => (await customer<{ status: string }>('GET', `/orders/${orderId}`)).body.status).toBe('PAID');

  // A paid order: support may cancel it (order:cancel-any) but not refund (refund:create); finance the opposite.
  await signInWithPage(page, 'support');
  await page.goto(`#/orders/${orderId}`);
  await expect(page.getByTestId('action-cancel')).toBeVisible();
  await expect(page.getByTestId('action-refund')).toHaveCount(0);
  await page.getByTestId('sign-out').click();

  await signInWithPage(page, 'finance');
  await page.goto(`#/orders/${orderId}`);
  await expect(page.getByTestId('action-refund')).toBeVisible();
  await expect(page.getByTestId('action-cancel')).toHaveCount(0);

  const finance = await apiAs(request, baseURL, 'finance');
  const refused = await finance<{ type: string }>('POST', `/orders/${orderId}/cancel`, {});
  expect(refused.status).toBe(403);
  expect((await customer<{ status: string }>('GET', `/orders/${orderId}`)).body.status).toBe('PAID');
});

test('a customer is sent to the shop front, not the console', async ({ page }) => {
  await signInWithPage(page, 'customer');
  await expect(page).toHaveURL(/#\/shop/);
  await page.goto('#/orders');
  await expect(page).toHaveURL(/#\/shop/);
});
