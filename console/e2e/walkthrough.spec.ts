// A day's order from end to end, every person in their own browser: a shopper on a phone (375 × 812)
// buys a tee in the shop front and pays on the sandbox's pay page; the warehouse ships it from the
// console; the sandbox carrier delivers it; the shopper asks to return it; support approves the case in
// the console; the shopper sends the parcel back and the carrier delivers it to the warehouse; the
// warehouse inspects it in the console; the refund is paid, and both the console and the shop show it.
// Only the carrier (an outside party) is played through its sandbox endpoint.
import type { Browser, Page } from '@playwright/test';
import { expect, origin, screenshot, signInFast, test, type DemoKey } from './fixtures';

const SHOPPER: DemoKey = 'customer';

async function as(browser: Browser, baseURL: string | undefined, who: DemoKey, phone = false): Promise<Page> {
  const context = await browser.newContext(
    phone ? { viewport: { width: 375, height: 812 }, isMobile: true, hasTouch: true, baseURL } : { viewport: { width: 1366, height: 900 }, baseURL },
  );
  const page = await context.newPage();
  await signInFast(page, baseURL, who);
  return page;
}

function field(page: Page, testId: string) {
  return page.locator(`input[data-testid="${testId}"], [data-testid="${testId}"] input`).first();
}

test('from the shop front to a refunded return, through the console', async ({ browser, request, baseURL }) => {
  test.setTimeout(240_000);
  const carrier = async (trackingNumber: string) => {
    const answer = await request.post(`${origin(baseURL)}/_local/sandbox/carriers/sf/events`, { data: { trackingNumber, status: 'DELIVERED' } });
    expect(answer.ok(), await answer.text()).toBe(true);
  };

  // The shopper buys one red M tee on a phone and pays by WeChat Pay on the sandbox pay page.
  const shop = await as(browser, baseURL, SHOPPER, true);
  await shop.goto('#/shop');
  await field(shop, 'shop-search').fill('tee');
  await field(shop, 'shop-search').press('Enter');
  await shop.getByTestId('product-grid').getByTestId('product-name').filter({ hasText: /^Classic Tee$/ }).first().click();
  await shop.getByTestId('option-color-red').click();
  await shop.getByTestId('option-size-M').click();
  await expect(shop.getByTestId('selected-sku')).toHaveAttribute('data-sku', 'TEE-RED-M');
  await shop.getByTestId('add-to-cart').click();
  await shop.getByTestId('tab-cart').click();
  await expect(shop.getByTestId('cart-line-TEE-RED-M')).toBeVisible();
  await shop.getByTestId('to-checkout').click();
  // An empty address book shows the form at once; otherwise the saved addresses, the default chosen.
  await expect(shop.getByTestId('address-name').or(shop.getByTestId('address-choice')).first()).toBeVisible();
  if (await shop.getByTestId('address-name').isVisible()) {
    await shop.getByTestId('address-name').fill('Li Lei');
    await shop.getByTestId('address-phone').fill('+8613800000001');
    await shop.getByTestId('address-line1').fill('1 Walkthrough Road');
    await shop.getByTestId('address-city').fill('Shanghai');
    await shop.getByTestId('address-region').fill('SH');
    await shop.getByTestId('address-save').click();
  }
  await expect(shop.getByTestId('address-choice').getByRole('radio', { checked: true })).toBeVisible();
  await shop.getByTestId('method-wechat').click();
  await shop.getByTestId('place-order').click();
  await shop.waitForURL(/#\/shop\/pay\//);
  const orderId = /#\/shop\/pay\/([^/]+)\//.exec(new URL(shop.url()).hash)![1];
  await shop.getByTestId('sandbox-pay').click();
  await expect(shop.getByTestId('pay-confirmation')).toBeVisible({ timeout: 30_000 });

  // The warehouse finds it paid in the console and ships it.
  const warehouse = await as(browser, baseURL, 'warehouse');
  await warehouse.goto(`#/orders/${orderId}`);
  await expect(warehouse.getByTestId('order-number').locator('..').locator('[data-status="PAID"]')).toBeVisible();
  const tracking = `SF${Date.now()}`;
  await warehouse.getByTestId('action-ship').click();
  await warehouse.getByTestId('ship-carrier').fill('sf');
  await warehouse.getByTestId('ship-tracking').fill(tracking);
  await warehouse.getByTestId('action-ship-submit').click();
  await expect(warehouse.getByTestId('shipments-section').getByTestId('tracking-number')).toHaveText(tracking);
  await screenshot(warehouse, 'walkthrough-shipped');

  // The carrier delivers; the shopper sees it and asks to return the tee.
  await carrier(tracking);
  await shop.goto(`#/shop/orders/${orderId}`);
  await expect(async () => {
    await shop.reload();
    await expect(shop.getByTestId(`shipment-${tracking}`)).toHaveAttribute('data-status', 'DELIVERED', { timeout: 2_000 });
  }).toPass({ timeout: 30_000 });
  await shop.getByTestId('request-return').click();
  await field(shop, 'claim-qty-1').fill('1');
  await shop.getByTestId('case-reason').click();
  await shop.locator('.ant-select-item-option').first().click();
  await shop.getByTestId('case-submit').click();
  await shop.waitForURL(/#\/shop\/after-sales\//);
  const caseId = /#\/shop\/after-sales\/([^/?]+)/.exec(new URL(shop.url()).hash)![1];

  // Support approves it in the console.
  const support = await as(browser, baseURL, 'support');
  await support.goto(`#/after-sales/${caseId}`);
  const supportCase = support.getByTestId('after-sales-case');
  await expect(supportCase).toHaveAttribute('data-status', 'REQUESTED');
  await support.getByTestId('case-action-approve').click();
  await support.getByTestId('case-action-note').fill('Return it, please');
  await support.getByTestId('case-action-confirm').click();
  await expect(supportCase).toHaveAttribute('data-status', 'AWAITING_RETURN');

  // The shopper sends it back; the carrier delivers it to the warehouse.
  await shop.reload();
  await expect(shop.getByTestId('case-page')).toHaveAttribute('data-status', 'AWAITING_RETURN');
  const back = `RT${Date.now()}`;
  await shop.getByTestId('return-tracking').fill(back);
  await shop.getByTestId('return-submit').click();
  await expect(shop.getByTestId('case-page')).toHaveAttribute('data-status', 'RETURN_SHIPPED');
  await carrier(back);

  // The warehouse inspects it in the console: one restockable unit; the refund follows.
  await warehouse.goto(`#/after-sales/${caseId}`);
  const warehouseCase = warehouse.getByTestId('after-sales-case');
  await expect(async () => {
    await warehouse.reload();
    await expect(warehouseCase).toHaveAttribute('data-status', 'RECEIVED', { timeout: 2_000 });
  }).toPass({ timeout: 30_000 });
  await warehouse.getByTestId('case-action-inspect').click();
  await warehouse.getByTestId('inspect-restockable-1').fill('1');
  await warehouse.getByTestId('inspect-damaged-1').fill('0');
  await warehouse.getByTestId('case-action-confirm').click();
  await expect(warehouseCase).not.toHaveAttribute('data-status', 'RECEIVED');

  // The refund is paid: the console's order shows it, and so does the shop.
  await support.goto(`#/orders/${orderId}`);
  await expect(async () => {
    await support.reload();
    await expect(support.getByTestId('refunds-section').locator('[data-status="SUCCEEDED"]').first()).toBeVisible({ timeout: 2_000 });
  }).toPass({ timeout: 60_000 });
  await screenshot(support, 'walkthrough-refunded');
  await shop.goto(`#/shop/orders/${orderId}`);
  await expect(async () => {
    await shop.reload();
    await expect(shop.getByTestId('order-refunds').locator('[data-testid^="refund-"][data-status="SUCCEEDED"]')).toHaveCount(1, { timeout: 2_000 });
  }).toPass({ timeout: 30_000 });
  await screenshot(shop, 'walkthrough-shop-refunded-375');
});

test('the console speaks Chinese and English', async ({ page, baseURL }) => {
  await signInFast(page, baseURL, 'admin', 'zh-CN');
  await page.goto('#/orders');
  const menu = page.getByTestId('side-menu');
  await expect(menu.locator('[data-menu-path="/orders"]')).toHaveText('订单');
  await expect(page.locator('html')).toHaveAttribute('lang', 'zh-CN');
  await screenshot(page, 'orders-zh-CN');
  await page.getByTestId('language-switch').click();
  await page.locator('.ant-select-item-option', { hasText: 'English' }).click();
  await expect(menu.locator('[data-menu-path="/orders"]')).toHaveText('Orders');
  await expect(page.locator('html')).toHaveAttribute('lang', 'en');
  await page.reload(); // the choice is kept
  await expect(menu.locator('[data-menu-path="/orders"]')).toHaveText('Orders');
});
