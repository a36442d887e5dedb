// Catalogue and marketing pages in the browser against the local stack: a product with its first SKU
// created on the page and found in the list, its detail page, a SKU's stock adjusted with its movement,
// a category, a promotion and a coupon template (with a public code issued and looked up); the products
// list at 375 px as cards with the filter drawer; axe on each page.
import { apiAs, expect, expectAccessible, screenshot, signInFast, test } from './fixtures';
import type { Page } from '@playwright/test';

const run = `${Date.now().toString(36)}${Math.floor(Math.random() * 1e4).toString(36)}`.toUpperCase();

/** axe with the pointer off any control (a hovered button shows its lighter hover colour). */
async function axe(page: Page, what: string) {
  await page.mouse.move(0, 0);
  await expectAccessible(page, what);
}

/** Click "load more" until `locator` shows (the API lists products by id, oldest first). */
async function showInList(page: Page, text: string) {
  const target = page.getByTestId('products-list').getByText(text, { exact: true }).first();
  for (let i = 0; i < 20 && !(await target.isVisible()); i += 1) {
    const more = page.getByTestId('load-more');
    if (!(await more.isVisible())) break;
    await more.click();
    await page.waitForTimeout(300);
  }
  await expect(target).toBeVisible();
}

test.describe('catalogue', () => {
  test.beforeEach(async ({ page, baseURL }) => {
    await signInFast(page, baseURL, 'admin');
  });

  test('creates a product with a SKU on the page and finds it in the list and on its detail page', async ({ page }) => {
    const name = `E2E Tee ${run}`;
    const skuId = `E2E-TEE-${run}`;
    await page.goto('#/products');
    await expect(page.getByTestId('products-list')).toBeVisible();
    await expect(page.getByTestId('product-link').first()).toBeVisible();
    await screenshot(page, 'products');
    await axe(page, 'products');

    await page.getByTestId('product-create').click();
    await page.getByTestId('product-name').fill(name);
    await page.getByTestId('sku-id').fill(skuId);
    await page.getByTestId('sku-name').fill(`${name} M`);
    await page.getByTestId('sku-price').fill('99.50');
    await page.getByTestId('sku-stock').fill('7');
    await page.getByTestId('product-create-submit').click();
    await expect(page.getByTestId('product-form')).toBeHidden();
    await showInList(page, name);

    await page.getByTestId('products-list').getByText(name, { exact: true }).first().click();
    await expect(page.getByTestId('product-title')).toHaveText(name);
    const row = page.getByTestId('sku-table').locator('tr', { hasText: skuId });
    await expect(row).toContainText('99.50');
    await expect(page.getByTestId(`available-${skuId}`)).toHaveText('7');
    await screenshot(page, 'product-detail');
    await axe(page, 'product detail');

    // Rename the product (PATCH with If-Match) and add a second SKU.
    await page.getByTestId('product-edit-name').fill(`${name} v2`);
    await page.getByTestId('product-save').click();
    await expect(page.getByTestId('product-title')).toHaveText(`${name} v2`);
    await page.getByTestId('sku-add').click();
    await page.getByTestId('sku-form').getByTestId('sku-id').fill(`${skuId}-L`);
    await page.getByTestId('sku-form').getByTestId('sku-name').fill(`${name} L`);
    await page.getByTestId('sku-form').getByTestId('sku-price').fill('109');
    await page.getByTestId('sku-submit').click();
    await expect(page.getByTestId('sku-table').locator('tr', { hasText: `${skuId}-L` })).toContainText('109.00');
  });

  test('adjusts a SKU’s stock and shows the movement', async ({ page, request, baseURL }) => {
    const admin = await apiAs(request, baseURL, 'admin');
    const skuId = `E2E-STOCK-${run}`;
    const created = await admin('POST', '/products', {
      storeId: 'demo', name: `E2E Stock ${run}`,
      skus: [{ skuId, name: 'Stock test', price: { amount: 1000, currency: 'CNY' }, stock: 5, warehouseId: 'WH-SH', weightGrams: 100 }],
    });
    expect(created.status).toBe(201);
    await page.goto(`#/skus/${skuId}/stock`);
    await expect(page.getByTestId('sku-available')).toHaveText('5');
    await page.getByTestId('adjust-delta').fill('3');
    await page.getByTestId('adjust-note').fill(`e2e restock ${run}`);
    await page.getByTestId('adjust-submit').click();
    await expect(page.getByTestId('sku-available')).toHaveText('8');
    const movement = page.getByTestId('movements-list').getByText(`e2e restock ${run}`);
    await expect(movement).toBeVisible({ timeout: 20_000 });
    await expect(page.getByTestId('movements-list')).toContainText('+3');
    await axe(page, 'sku stock');
  });

  test('uploads a product image through the presigned form and sees it checked', async ({ page, request, baseURL }) => {
    const admin = await apiAs(request, baseURL, 'admin');
    const created = await admin<{ productId: string }>('POST', '/products', {
      storeId: 'demo', name: `E2E Image ${run}`,
      skus: [{ skuId: `E2E-IMG-${run}`, name: 'Image test', price: { amount: 1000, currency: 'CNY' }, stock: 1, warehouseId: 'WH-SH', weightGrams: 100 }],
    });
    expect(created.status).toBe(201);
    await page.goto(`#/products/${created.body.productId}`);
    const png = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64');
    await page.locator('input[type="file"]').setInputFiles({ name: 'dot.png', mimeType: 'image/png', buffer: png });
    await expect(page.getByTestId('image-item').first()).toHaveAttribute('data-state', 'READY', { timeout: 20_000 });
    await expect(page.getByTestId('image-list')).toContainText('1×1');
  });

  test('adds a category to the tree', async ({ page }) => {
    const name = `E2E Cat ${run}`;
    await page.goto('#/categories');
    await page.getByTestId('category-create').click();
    await page.getByTestId('category-name').fill(name);
    await page.getByTestId('category-submit').click();
    await expect(page.locator(`[data-testid="category-node"][data-name="${name}"]`)).toBeVisible();
    await screenshot(page, 'categories');
    await axe(page, 'categories');
  });
});

test.describe('marketing', () => {
  test.beforeEach(async ({ page, baseURL }) => {
    await signInFast(page, baseURL, 'admin');
  });

  test('creates a spend-and-save promotion', async ({ page }) => {
    const name = `E2E spend 300 save 30 ${run}`;
    await page.goto('#/promotions');
    await expect(page.getByTestId('promotions-list')).toBeVisible();
    await page.getByTestId('promotion-create').click();
    await page.getByTestId('promotion-name-input').fill(name);
    await page.getByTestId('tier-threshold-0').fill('300');
    await page.getByTestId('tier-off-0').fill('30');
    await page.getByTestId('promotion-submit').click();
    await expect(page.getByTestId('promotion-form')).toBeHidden();
    const row = page.getByTestId('promotions-list').locator('tr', { hasText: name });
    await expect(row).toBeVisible();
    await expect(row).toContainText('300.00');
    await expect(row).toContainText('30.00');
    await screenshot(page, 'promotions');
    await axe(page, 'promotions');
  });

  test('creates a coupon template, issues a public code and looks it up', async ({ page }) => {
    const name = `E2E 10 off ${run}`;
    const code = `E2E-${run}`.slice(0, 32);
    await page.goto('#/coupons');
    await page.getByTestId('template-create').click();
    await page.getByTestId('template-name-input').fill(name);
    await page.getByTestId('template-amount').fill('10');
    await page.getByTestId('template-min-spend').fill('100');
    await page.getByTestId('template-submit').click();
    await expect(page.getByTestId('template-form')).toBeHidden();
    const row = page.getByTestId('templates-list').locator('tr', { hasText: name });
    await expect(row).toBeVisible();
    await expect(row).toContainText('10.00');

    await row.getByTestId('template-issue').click();
    await page.getByText('Public code', { exact: true }).click();
    await page.getByTestId('issue-public-code').fill(code);
    await page.getByTestId('issue-submit').click();
    await expect(page.getByTestId('issued')).toContainText(code);
    await page.getByTestId('issue-submit').click();

    await page.getByTestId('coupon-code').fill(code.toLowerCase());
    await page.getByTestId('coupon-lookup').click();
    await expect(page.getByTestId('coupon-found')).toContainText(name);
    await screenshot(page, 'coupons');
    await axe(page, 'coupons');
  });

  test('points and member settings load', async ({ page }) => {
    await page.goto('#/points');
    await page.getByTestId('customer-id').fill('demo-customer');
    await page.getByTestId('customer-lookup').click();
    await expect(page.getByText('Points of demo-customer')).toBeVisible();
    await axe(page, 'points');
  });
});

test.describe('products at 375 px', () => {
  test.use({ viewport: { width: 375, height: 812 } });

  test('shows products as cards and the filters in a drawer', async ({ page, baseURL }) => {
    await signInFast(page, baseURL, 'admin');
    await page.goto('#/products');
    await expect(page.getByTestId('products-list')).toHaveAttribute('data-layout', 'cards');
    await expect(page.getByTestId('product-link').first()).toBeVisible();
    await page.getByTestId('filters-open').click();
    await expect(page.getByTestId('store-input')).toBeVisible();
    await page.getByTestId('filters-apply').click();
    await screenshot(page, 'products-375');
    await axe(page, 'products at 375 px');
  });
});
