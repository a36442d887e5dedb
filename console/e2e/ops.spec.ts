// The ops pages: the dashboard (KPIs and charts), exports (one started from the page reaches SUCCEEDED and
// offers its file), reports, and the dashboard at 375 px.
import { expect, expectAccessible, screenshot, signInFast, test } from './fixtures';
import { callers, paidOrder } from './ops-fixtures';

test.describe('dashboard', () => {
  test('as admin: KPI cards, the charts render, best sellers and low stock', async ({ page, request, baseURL }) => {
    await paidOrder(request, baseURL, { skuId: 'NOTE-A5', quantity: 2 });
    // A SKU at or under its alert level shows in the low-stock card.
    const { admin } = await callers(request, baseURL);
    const sku = await admin<{ version: number }>('GET', '/skus/MUG-LTD');
    if (sku.status === 200) {
      await admin('PATCH', '/skus/MUG-LTD', { lowStockThreshold: 50 }, { 'If-Match': `"${sku.body.version}"` });
    }
    await signInFast(page, baseURL, 'admin');
    await page.goto('#/');
    for (const id of ['kpi-orders', 'kpi-sales', 'kpi-success', 'kpi-pending-review', 'kpi-pending-shipment', 'kpi-pending-after-sales']) {
      await expect(page.getByTestId(id)).toBeVisible();
    }
    await expect(page.getByTestId('kpi-orders')).not.toContainText('…');
    await expect(page.getByTestId('kpi-orders').locator('.ant-statistic-content')).not.toHaveText('0');
    for (const chart of ['chart-daily-orders', 'chart-monthly-sales', 'chart-method-share']) {
      await expect(page.getByTestId(chart).locator('svg, canvas').first()).toBeVisible();
      await expect(page.getByTestId(chart)).toHaveAttribute('aria-label', /.+/);
    }
    await expect(page.getByTestId('chart-daily-orders').locator('svg path').first()).toBeAttached();
    await expect(page.getByTestId('best-sellers')).toContainText('A5 Notebook');
    await expect(page.getByTestId('low-stock')).toContainText('MUG-LTD');
    await expectAccessible(page, 'dashboard');
    await screenshot(page, 'dashboard');
  });

  test('a role without stats:read gets a welcome with its pages, not the figures', async ({ page, baseURL }) => {
    await signInFast(page, baseURL, 'warehouse');
    await page.goto('#/');
    await expect(page.getByTestId('dashboard-welcome')).toBeVisible();
    await expect(page.getByTestId('kpi-sales')).toHaveCount(0);
    await expect(page.getByTestId('dashboard-welcome').getByRole('link').first()).toBeVisible();
  });
});

test('an export started from the exports page reaches SUCCEEDED and offers its file', async ({ page, request, baseURL }) => {
  await paidOrder(request, baseURL);
  await signInFast(page, baseURL, 'admin');
  await page.goto('#/exports');
  await expect(page.getByTestId('exports-page')).toBeVisible();
  await page.getByTestId('export-new').click();
  const form = page.getByTestId('export-form');
  await form.getByLabel('CSV').check();
  await form.getByLabel('Order total').check({ force: true });
  const created = page.waitForResponse((response) => response.url().endsWith('/exports') && response.request().method() === 'POST');
  await page.getByTestId('export-submit').click();
  const answer = await created;
  expect(answer.status()).toBe(202);
  const { exportId } = (await answer.json()) as { exportId: string };
  await expect(page.getByTestId(`export-state-${exportId}`)).toHaveAttribute('data-state', 'SUCCEEDED', { timeout: 60_000 });
  const link = page.getByTestId(`export-download-${exportId}`);
  await expect(link).toBeVisible();
  const href = await link.getAttribute('href');
  expect(href).toMatch(/^https?:\/\//);
  const file = await request.get(href ?? '');
  expect(file.ok()).toBeTruthy();
  expect(await file.text()).toContain('Order number');
  await expectAccessible(page, 'exports');
  await screenshot(page, 'exports');
});

test('reports list a published report with its files', async ({ page, request, baseURL }) => {
  const { local } = await callers(request, baseURL);
  const today = new Date().toISOString().slice(0, 10);
  await local('/_local/schedules/sales-daily', { period: today });
  await signInFast(page, baseURL, 'finance');
  await page.goto('#/reports');
  await expect(async () => {
    await page.getByTestId('filters-apply').click();
    await expect(page.getByTestId('reports')).toContainText(today, { timeout: 2000 });
  }).toPass({ timeout: 90_000 }); // the report is built by its scheduled job, slower on a busy machine
  await expect(page.getByTestId('report-file').first()).toHaveAttribute('href', /^https?:\/\//);
  await page.getByTestId('report-from').fill('not-a-day');
  await page.getByTestId('filters-apply').click();
  await expect(page.getByText('A day (2026-12-01) or a period')).toBeVisible();
  await page.getByTestId('report-from').fill(today);
  await page.getByTestId('filters-apply').click();
  await expect(page.getByTestId('reports')).toContainText('Sales (daily)');
  await expectAccessible(page, 'reports');
  await screenshot(page, 'reports');
});

test.describe('at 375 px', () => {
  test.use({ viewport: { width: 375, height: 812 } });

  test('the dashboard stacks its cards and charts', async ({ page, baseURL }) => {
    await signInFast(page, baseURL, 'admin');
    await page.goto('#/');
    await expect(page.getByTestId('kpi-orders')).toBeVisible();
    await expect(page.getByTestId('chart-daily-orders').locator('svg').first()).toBeVisible();
    const width = await page.evaluate(() => document.documentElement.scrollWidth);
    expect(width).toBeLessThanOrEqual(375);
    await expectAccessible(page, 'dashboard at 375 px');
    await screenshot(page, 'dashboard-375');
  });
});
