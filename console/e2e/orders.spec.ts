// The staff order pages against the local stack: orders are placed through the API as shoppers, then
// found, opened and worked on in the browser as staff. Role expectations come from docs/permissions.md.
import { randomUUID } from 'node:crypto';
import type { APIRequestContext, Page } from '@playwright/test';
import { apiAs, expect, expectAccessible, origin, screenshot, signInFast, test } from './fixtures';

const ADDRESS = { name: 'Alice', phone: '13800000000', line1: '1 Nanjing Rd', city: 'Shanghai', country: 'CN' };

interface Placed {
  orderId: string;
  orderNumber: string;
}

type Caller = Awaited<ReturnType<typeof apiAs>>;

/** A caller as a fresh shopper of its own (so a filter on the customer finds only this test's orders). */
async function freshShopper(request: APIRequestContext, baseURL: string | undefined): Promise<{ sub: string; call: Caller }> {
  const sub = `orders-e2e-${randomUUID().slice(0, 8)}`;
  const response = await request.post(`${origin(baseURL)}/_local/token`, { data: { sub, roles: ['customer'], expiresIn: 3600 } });
  expect(response.ok()).toBeTruthy();
  const { token } = (await response.json()) as { token: string };
  const call: Caller = async (method, path, data, headers = {}) => {
    const answer = await request.fetch(`${origin(baseURL)}${path}`, { method, data, headers: { Authorization: `Bearer ${token}`, ...headers } });
    const text = await answer.text();
    return { status: answer.status(), body: (text ? JSON.parse(text) : {}) as never };
  };
  return { sub, call };
}

async function placeOrder(call: Caller, sku = 'TEE-RED-M', quantity = 1): Promise<Placed> {
  const { status, body } = await call<Placed>(
    'POST',
    '/orders',
    { lines: [{ skuId: sku, quantity }], shippingAddress: ADDRESS },
    { 'Idempotency-Key': randomUUID() },
  );
  expect(status, JSON.stringify(body)).toBe(201);
  return body;
}

async function pay(request: APIRequestContext, baseURL: string | undefined, call: Caller, orderId: string): Promise<void> {
  const attempt = await call<{ paymentId: string }>('POST', `/orders/${orderId}/payments`, { method: 'wechat' }, { 'Idempotency-Key': randomUUID() });
  expect(attempt.status, JSON.stringify(attempt.body)).toBe(201);
  const paid = await request.post(`${origin(baseURL)}/_local/sandbox/payments/${attempt.body.paymentId}/pay`, { data: {} });
  expect(paid.ok()).toBeTruthy();
  await expect
    .poll(async () => (await call<{ status: string }>('GET', `/orders/${orderId}`)).body.status, { timeout: 15_000 })
    .toBe('PAID');
}

async function applyFilters(page: Page) {
  await page.getByTestId('filters-apply').click();
}

test.describe('staff orders', () => {
  test('quick lookup opens an order; its detail shows lines, payments and timeline; a note is added', async ({ page, request, baseURL }) => {
    const shopper = await freshShopper(request, baseURL);
    const order = await placeOrder(shopper.call, 'TEE-RED-M', 2);
    await pay(request, baseURL, shopper.call, order.orderId);

    await signInFast(page, baseURL, 'admin');
    await page.goto('#/orders');
    await expect(page.getByTestId('orders-list')).toBeVisible();
    await page.getByTestId('quick-lookup').locator('input').fill(order.orderNumber);
    await page.getByTestId('quick-lookup').locator('input').press('Enter');
    await page.waitForURL((url) => url.hash === `#/orders/${order.orderId}`);

    await expect(page.getByTestId('order-number')).toContainText(order.orderNumber);
    await expect(page.getByTestId('lines-section')).toContainText('TEE-RED-M');
    await expect(page.getByTestId('breakdown-section')).toBeVisible();
    await expect(page.getByTestId('payments-section').getByTestId('payment-status')).toHaveText('Paid');
    await expect(page.getByTestId('payments-section')).toContainText('WeChat Pay');
    await expect(page.getByTestId('ledger')).toContainText('provider:wechat');
    await expect(page.getByTestId('timeline-section').getByTestId('timeline-item').first()).toBeVisible();
    await expect(page.getByTestId('timeline-section').locator('[data-kind="payment.succeeded"]')).toHaveCount(1);

    const text = `called the shopper <b>${randomUUID().slice(0, 6)}</b>`;
    await page.getByTestId('note-text').fill(text);
    await page.getByTestId('note-add').click();
    // Rendered as text, never as markup.
    await expect(page.getByTestId('note-body').filter({ hasText: text })).toHaveCount(1);
    await expect(page.getByTestId('timeline-section').locator('[data-kind="note"]')).toContainText(text);

    await page.mouse.move(0, 0); // no hover colours in the check
    await expectAccessible(page, 'order detail');
    await screenshot(page, 'orders-detail');
  });

  test('filters find an order by status and number or customer; saved filters and columns persist; export', async ({ page, request, baseURL }) => {
    const shopper = await freshShopper(request, baseURL);
    const paid = await placeOrder(shopper.call);
    await pay(request, baseURL, shopper.call, paid.orderId);
    const unpaid = await placeOrder(shopper.call);

    await signInFast(page, baseURL, 'admin');
    await page.goto('#/orders');
    await page.getByTestId('filter-orderNumber').fill(paid.orderNumber);
    await page.getByTestId('filter-status').click();
    await page.locator('.ant-select-item-option[title="Paid"]').click();
    await applyFilters(page);
    const links = page.getByTestId('orders-list').getByTestId('order-link');
    await expect(links).toHaveText([paid.orderNumber]);

    // The customer with status pending payment: only the unpaid order.
    await page.getByTestId('filters-reset').click();
    await page.getByTestId('filter-customerId').fill(shopper.sub);
    await page.getByTestId('filter-status').click();
    await page.locator('.ant-select-item-option[title="Pending payment"]').click();
    await applyFilters(page);
    await expect(links).toHaveText([unpaid.orderNumber]);

    // Amounts typed in major units: 49.00 CNY and more holds both (TEE-RED-M costs 49.00 + shipping).
    await page.getByTestId('filters-reset').click();
    await page.getByTestId('filter-customerId').fill(shopper.sub);
    await page.getByTestId('filters-more').click();
    await page.getByTestId('filter-amountMin').fill('49');
    await applyFilters(page);
    await expect(links).toHaveCount(2);
    expect(page.url()).toContain('amountMin=49');
    await page.getByTestId('filter-amountMin').fill('100000');
    await applyFilters(page);
    await expect(links).toHaveCount(0);
    await page.getByTestId('filter-amountMin').fill('');
    await applyFilters(page);
    await expect(links).toHaveCount(2);

    // Save the customer filter, clear, apply it again.
    const name = `shopper ${shopper.sub}`;
    await page.getByTestId('saved-filters-open').click();
    await page.getByTestId('saved-filter-name').fill(name);
    await page.getByTestId('saved-filter-save').click();
    await expect(page.locator(`[data-testid="saved-filter-apply"][data-name="${name}"]`)).toBeVisible();
    await page.keyboard.press('Escape');
    await page.getByTestId('filters-reset').click();
    await page.reload();
    await page.getByTestId('saved-filters-open').click();
    await page.locator(`[data-testid="saved-filter-apply"][data-name="${name}"]`).click();
    await expect(links).toHaveCount(2);
    await expect(page.getByTestId('filter-customerId')).toHaveValue(shopper.sub);

    // Columns: hide the customer column, still hidden after a reload.
    const header = page.getByTestId('orders-list').locator('th', { hasText: 'Customer' });
    await expect(header).toHaveCount(1);
    await page.getByTestId('columns-open').click();
    await page.getByTestId('column-customerId').click();
    await expect(header).toHaveCount(0);
    await page.reload();
    await expect(links).toHaveCount(2);
    await expect(header).toHaveCount(0);
    await page.getByTestId('columns-open').click();
    await page.getByTestId('column-customerId').click();
    await expect(header).toHaveCount(1);
    await page.keyboard.press('Escape');

    await page.mouse.move(0, 0);
    await expectAccessible(page, 'order list');
    await screenshot(page, 'orders-list');

    // Export with the current filters: an export id and a link to the exports page.
    await page.getByTestId('export-open').click();
    await page.getByTestId('export-submit').click();
    await expect(page.getByTestId('export-id')).not.toBeEmpty();
    await expect(page.getByTestId('export-link')).toHaveAttribute('href', /#\/exports$/);
    const exportId = (await page.getByTestId('export-id').textContent()) ?? '';
    const admin = await apiAs(request, baseURL, 'admin');
    const stored = await admin<{ filters: { customerId: string } }>('GET', `/exports/${exportId}`);
    expect(stored.status).toBe(200);
    expect(stored.body.filters.customerId).toBe(shopper.sub);
  });

  test('a batch cancel reports one success and one failure with its reason', async ({ page, request, baseURL }) => {
    const shopper = await freshShopper(request, baseURL);
    const open = await placeOrder(shopper.call);
    const gone = await placeOrder(shopper.call);
    const cancelled = await shopper.call('POST', `/orders/${gone.orderId}/cancel`, { reason: 'changed my mind' });
    expect(cancelled.status).toBe(200);

    await signInFast(page, baseURL, 'admin');
    await page.goto(`#/orders?customerId=${shopper.sub}`);
    const list = page.getByTestId('orders-list');
    await expect(list.getByTestId('order-link')).toHaveCount(2);
    for (const order of [open, gone]) {
      await list.getByRole('row').filter({ hasText: order.orderNumber }).getByRole('checkbox').check();
    }
    await expect(page.getByTestId('batch-count')).toContainText('2');
    await page.getByTestId('batch-actions').click();
    await page.getByTestId('batch-action-cancel').click();
    await page.getByTestId('batch-reason').fill('e2e batch cancel');
    await page.getByTestId('batch-submit').click();

    const results = page.getByTestId('batch-results');
    await expect(results.getByTestId('batch-summary')).toContainText('1 succeeded, 1 failed');
    await expect(results.locator(`[data-result="succeeded"][data-order-id="${open.orderId}"]`)).toContainText(open.orderNumber);
    const failure = results.locator(`[data-result="failed"][data-order-id="${gone.orderId}"]`);
    await expect(failure).toContainText(gone.orderNumber);
    await expect(failure.getByTestId('batch-problem')).toContainText('409');
    await expect(failure.getByTestId('batch-problem')).toContainText('CANCELLED');
    await page.getByTestId('batch-submit').click(); // close

    // The list was refreshed: both orders are cancelled now.
    await expect(list.locator('[data-status="CANCELLED"]')).toHaveCount(2);
  });

  test('a manual order for a new customer opens its detail', async ({ page, baseURL }) => {
    await signInFast(page, baseURL, 'admin');
    await page.goto('#/orders');
    await page.getByTestId('order-new').click();
    await page.getByRole('radio', { name: 'New customer' }).check();
    await page.getByTestId('manual-customer-name').fill('Phone Buyer');
    await page.getByTestId('manual-customer-email').fill(`buyer-${randomUUID().slice(0, 8)}@example.com`);
    await page.getByTestId('line-sku').first().fill('TEE-RED-M');
    await page.getByTestId('manual-quote').click();
    await expect(page.getByTestId('manual-quote-result')).toContainText('¥');
    await page.getByTestId('address-name').fill('Bob');
    await page.getByTestId('address-phone').fill('13900000000');
    await page.getByTestId('address-line1').fill('2 Huaihai Rd');
    await page.getByTestId('address-city').fill('Shanghai');
    await page.getByTestId('manual-mode-offline').check();
    await page.getByTestId('manual-submit').click();
    await page.waitForURL(/#\/orders\/[0-9A-Z]+$/);
    await expect(page.getByTestId('manual-record')).toContainText('Offline');
    await expect(page.getByTestId('lines-section')).toContainText('TEE-RED-M');
    await expect(page.getByTestId('order-actions').getByTestId('action-edit')).toBeVisible();
    // Offline payment is finance's (permissions.md: payment:review), not the admin's.
    await expect(page.getByTestId('action-offline-payment')).toHaveCount(0);
  });

  test('the warehouse may ship and add notes but not cancel, refund, flag or hold (docs/permissions.md)', async ({ page, request, baseURL }) => {
    const shopper = await freshShopper(request, baseURL);
    const order = await placeOrder(shopper.call);
    await pay(request, baseURL, shopper.call, order.orderId);

    await signInFast(page, baseURL, 'warehouse');
    await page.goto(`#/orders/${order.orderId}`);
    await expect(page.getByTestId('order-number')).toContainText(order.orderNumber);
    // POST /orders/{orderId}/shipments ✓ warehouse; cancel, refunds, flags, hold, release-hold, PATCH ·.
    await expect(page.getByTestId('action-ship')).toBeVisible();
    for (const hidden of ['action-cancel', 'action-refund', 'action-flag', 'action-unflag', 'action-hold', 'action-edit', 'action-reveal']) {
      await expect(page.getByTestId(hidden), hidden).toHaveCount(0);
    }
    await expect(page.getByTestId('note-form')).toBeVisible(); // POST .../notes ✓ warehouse

    const tracking = `SF${Date.now()}`;
    await page.getByTestId('action-ship').click();
    await page.getByTestId('ship-carrier').fill('sf');
    await page.getByTestId('ship-tracking').fill(tracking);
    await page.getByTestId('action-ship-submit').click();
    await expect(page.getByTestId('shipments-section').getByTestId('tracking-number')).toHaveText(tracking);
    await expect(page.getByTestId('order-number').locator('..').locator('[data-status="SHIPPED"]')).toBeVisible();
    await expect(page.getByTestId('action-ship')).toHaveCount(0);
  });
});

test.describe('orders on a phone', () => {
  test.use({ viewport: { width: 375, height: 812 } });

  test('the list shows cards and filters in a drawer', async ({ page, request, baseURL }) => {
    const shopper = await freshShopper(request, baseURL);
    const order = await placeOrder(shopper.call);

    await signInFast(page, baseURL, 'admin');
    await page.goto('#/orders');
    await expect(page.getByTestId('orders-list')).toHaveAttribute('data-layout', 'cards');
    await page.getByTestId('filters-open').click();
    await page.getByTestId('filter-customerId').fill(shopper.sub);
    await page.getByTestId('filters-apply').click();
    await expect(page.getByTestId('order-card')).toHaveCount(1);
    await expect(page.getByTestId('orders-list').getByTestId('order-link')).toHaveText(order.orderNumber);
    await expect(page.locator('.ant-badge', { has: page.getByTestId('filters-open') })).toContainText('1');
    await expectAccessible(page, 'order list on a phone');
    await screenshot(page, 'orders-list-375');

    await page.getByTestId('orders-list').getByTestId('order-link').click();
    await expect(page.getByTestId('order-number')).toContainText(order.orderNumber);
    await expect(page.getByTestId('order-lines')).toHaveAttribute('data-layout', 'cards');
  });
});
