// The order detail's vouchers against the local stack: a shopper buys the demo code-pool SKU GIFT-100
// through the API (a virtual-only order needs no address) and pays in the sandbox; an admin delivers it
// with the console's deliver action; support reveals the code with a reason, freezes and unfreezes it.
// Roles from docs/permissions.md: reveal (virtual:reveal) admin and support; freeze, unfreeze, activate,
// reject (virtual:deliver) admin, support and the store's merchant staff; finance and the warehouse none.
import { randomUUID } from 'node:crypto';
import type { APIRequestContext, Browser, Page } from '@playwright/test';
import { apiAs, expect, expectAccessible, origin, screenshot, signInFast, test, type DemoKey } from './fixtures';

type Caller = Awaited<ReturnType<typeof apiAs>>;

interface Placed {
  orderId: string;
  orderNumber: string;
}

interface Voucher {
  voucherId: string;
  state: string;
  masked?: string | null;
}

/** A caller as a fresh shopper of its own. */
async function freshShopper(request: APIRequestContext, baseURL: string | undefined): Promise<Caller> {
  const sub = `vouchers-e2e-${randomUUID().slice(0, 8)}`;
  const response = await request.post(`${origin(baseURL)}/_local/token`, { data: { sub, roles: ['customer'], expiresIn: 3600 } });
  expect(response.ok()).toBeTruthy();
  const { token } = (await response.json()) as { token: string };
  return async (method, path, data, headers = {}) => {
    const answer = await request.fetch(`${origin(baseURL)}${path}`, { method, data, headers: { Authorization: `Bearer ${token}`, ...headers } });
    const text = await answer.text();
    return { status: answer.status(), body: (text ? JSON.parse(text) : {}) as never };
  };
}

/** As in orders.spec.ts: a WeChat attempt paid in the sandbox, until the order reads PAID. */
async function pay(request: APIRequestContext, baseURL: string | undefined, call: Caller, orderId: string): Promise<void> {
  const attempt = await call<{ paymentId: string }>('POST', `/orders/${orderId}/payments`, { method: 'wechat' }, { 'Idempotency-Key': randomUUID() });
  expect(attempt.status, JSON.stringify(attempt.body)).toBe(201);
  const paid = await request.post(`${origin(baseURL)}/_local/sandbox/payments/${attempt.body.paymentId}/pay`, { data: {} });
  expect(paid.ok()).toBeTruthy();
  await expect
    .poll(async () => (await call<{ status: string }>('GET', `/orders/${orderId}`)).body.status, { timeout: 15_000 })
    .toBe('PAID');
}

/** A paid GIFT-100 order of a fresh shopper (codes are added to the pool first, so other runs cannot empty it). */
async function paidGiftOrder(request: APIRequestContext, baseURL: string | undefined): Promise<Placed> {
  const admin = await apiAs(request, baseURL, 'admin');
  const codes = [1, 2].map((n) => `E2E-VOUCHER-${randomUUID().slice(0, 12).toUpperCase()}-${n}`);
  const upload = await admin<{ added: number }>('POST', '/skus/GIFT-100/codes', { file: codes.join('\n') });
  expect(upload.status, JSON.stringify(upload.body)).toBeLessThan(300);
  expect(upload.body.added).toBe(2);

  const shopper = await freshShopper(request, baseURL);
  // Virtual goods only: no shipping address.
  const placed = await shopper<Placed>('POST', '/orders', { lines: [{ skuId: 'GIFT-100', quantity: 1 }] }, { 'Idempotency-Key': randomUUID() });
  expect(placed.status, JSON.stringify(placed.body)).toBe(201);
  await pay(request, baseURL, shopper, placed.body.orderId);
  return placed.body;
}

/** A page of its own signed in as `key` (its own session storage). */
async function pageAs(browser: Browser, baseURL: string | undefined, key: DemoKey, viewport?: { width: number; height: number }): Promise<Page> {
  const context = await browser.newContext({ baseURL, ...(viewport ? { viewport } : {}) });
  const page = await context.newPage();
  await signInFast(page, baseURL, key);
  return page;
}

function stateOf(page: Page) {
  return page.getByTestId('vouchers-section').getByTestId('voucher-state').locator('[data-status]');
}

test.describe('order vouchers', () => {
  test('admin delivers GIFT-100; support reveals the code with a reason, freezes and unfreezes it; roles gate the actions', async ({ page, browser, request, baseURL }) => {
    const order = await paidGiftOrder(request, baseURL);

    // The admin delivers through the console's deliver action.
    await signInFast(page, baseURL, 'admin');
    await page.goto(`#/orders/${order.orderId}`);
    await expect(page.getByTestId('order-number')).toContainText(order.orderNumber);
    await page.getByTestId('action-deliver').click();
    await page.getByTestId('action-deliver-submit').click();
    await expect(stateOf(page)).toHaveAttribute('data-status', 'PENDING_VERIFICATION');
    const admin = await apiAs(request, baseURL, 'admin');
    const listed = await admin<{ vouchers: Voucher[] }>('GET', `/orders/${order.orderId}/vouchers`);
    expect(listed.body.vouchers).toHaveLength(1);
    const masked = listed.body.vouchers[0].masked as string;
    expect(masked).toMatch(/^.{2}\*+.{2}$/);

    // Support: reveal with a reason; the code in clear matches the masked one.
    const support = await pageAs(browser, baseURL, 'support');
    await support.goto(`#/orders/${order.orderId}`);
    const section = support.getByTestId('vouchers-section');
    await expect(section.getByTestId('voucher-reveal')).toBeVisible();
    await section.getByTestId('voucher-reveal').click();
    await support.getByTestId('voucher-reveal-submit').click();
    await expect(support.locator('.ant-form-item-explain-error')).toBeVisible(); // the reason is required
    await support.getByTestId('voucher-reveal-reason').fill('shopper lost the e-mail with the code');
    await support.getByTestId('voucher-reveal-submit').click();
    const code = support.getByTestId('voucher-revealed-code');
    await expect(code).toBeVisible();
    const clear = ((await code.textContent()) ?? '').trim();
    expect(clear).toHaveLength(masked.length);
    expect(clear.slice(0, 2)).toBe(masked.slice(0, 2));
    expect(clear.slice(-2)).toBe(masked.slice(-2));
    await expect(support.getByTestId('voucher-reveal-copy-all')).toBeVisible();
    await expect(code.locator('.ant-typography-copy')).toBeVisible();
    await support.mouse.move(0, 0);
    await expectAccessible(support, 'order detail with the revealed codes');
    await screenshot(support, 'orders-vouchers');
    await support.getByTestId('voucher-reveal-close').click();
    await expect(support.getByTestId('voucher-revealed')).toHaveCount(0);
    await expect(support.locator('body')).not.toContainText(clear);

    // The reveal is audited with its reason.
    const audit = await admin<{ items: { action: string; reason: string | null; actor: { id: string } }[] }>(
      'GET',
      `/audit?subject=${encodeURIComponent(`ORDER#${order.orderId}`)}&action=virtual.reveal`,
    );
    expect(audit.status, JSON.stringify(audit.body)).toBe(200);
    expect(audit.body.items.map((item) => [item.actor.id, item.reason])).toContainEqual(['demo-support', 'shopper lost the e-mail with the code']);

    // Freeze, then unfreeze.
    await section.getByTestId('voucher-freeze').click();
    await expect(support.getByTestId('voucher-freeze-choices').getByRole('checkbox')).toHaveCount(1);
    await support.getByTestId('voucher-freeze-reason').fill('suspected resale');
    await support.getByTestId('voucher-freeze-submit').click();
    await expect(stateOf(support)).toHaveAttribute('data-status', 'FROZEN');
    await expect(section).toContainText('suspected resale');
    await expect(section.getByTestId('voucher-freeze')).toHaveCount(0);
    await section.getByTestId('voucher-unfreeze').click();
    await support.getByTestId('voucher-unfreeze-reason').fill('checked with the shopper');
    await support.getByTestId('voucher-unfreeze-submit').click();
    await expect(stateOf(support)).toHaveAttribute('data-status', 'PENDING_VERIFICATION');
    await expect(section.getByTestId('voucher-unfreeze')).toHaveCount(0);
    await expect(section.getByTestId('voucher-freeze')).toBeVisible();
    await expect(section.getByTestId('voucher-reject')).toBeVisible();

    // The store's merchant staff move vouchers but have no virtual:reveal: no reveal button, and the API refuses it.
    const merchant = await pageAs(browser, baseURL, 'merchant');
    await merchant.goto(`#/orders/${order.orderId}`);
    const merchantSection = merchant.getByTestId('vouchers-section');
    await expect(merchantSection.getByTestId('voucher-freeze')).toBeVisible();
    await expect(merchantSection.getByTestId('voucher-reveal')).toHaveCount(0);
    const asMerchant = await apiAs(request, baseURL, 'merchant');
    expect((await asMerchant('POST', `/orders/${order.orderId}/vouchers/reveal`, { reason: 'x' })).status).toBe(403);

    // Finance sees the vouchers but no action on them.
    const finance = await pageAs(browser, baseURL, 'finance');
    await finance.goto(`#/orders/${order.orderId}`);
    await expect(stateOf(finance)).toHaveAttribute('data-status', 'PENDING_VERIFICATION');
    await expect(finance.getByTestId('voucher-actions')).toHaveCount(0);
    const asFinance = await apiAs(request, baseURL, 'finance');
    expect((await asFinance('POST', `/orders/${order.orderId}/vouchers/freeze`, { reason: 'x' })).status).toBe(403);
  });
});

test.describe('order vouchers on a phone', () => {
  test.use({ viewport: { width: 375, height: 812 } });

  test('the vouchers show as cards with their actions; the reveal modal fits', async ({ page, request, baseURL }) => {
    const order = await paidGiftOrder(request, baseURL);
    const admin = await apiAs(request, baseURL, 'admin');
    const delivered = await admin<{ delivered: number }>('POST', `/orders/${order.orderId}/deliveries`);
    expect(delivered.status, JSON.stringify(delivered.body)).toBe(200);
    expect(delivered.body.delivered).toBe(1);

    await signInFast(page, baseURL, 'support');
    await page.goto(`#/orders/${order.orderId}`);
    const section = page.getByTestId('vouchers-section');
    await expect(section.getByTestId('vouchers')).toHaveAttribute('data-layout', 'cards');
    await expect(stateOf(page)).toHaveAttribute('data-status', 'PENDING_VERIFICATION');
    await section.getByTestId('voucher-reveal').click();
    await page.getByTestId('voucher-reveal-reason').fill('phone check');
    await page.getByTestId('voucher-reveal-submit').click();
    await expect(page.getByTestId('voucher-revealed-code')).toBeVisible();
    const box = await page.locator('.ant-modal').filter({ has: page.getByTestId('voucher-revealed') }).boundingBox();
    expect(box && box.x >= 0 && box.x + box.width <= 375).toBeTruthy();
    // No sideways scrolling on the page.
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(375);
    await screenshot(page, 'orders-vouchers-375');
  });
});
