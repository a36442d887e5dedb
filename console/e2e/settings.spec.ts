// The staff settings pages against the local stack: FX rates saved, a freight template edited, a stale
// If-Match shown as the API's 412, the risk settings saved, the notification rules loaded, the data
// retention page's erasure behind a confirmation; menu entries only for the roles that may write
// (docs/permissions.md); axe on each page and the store page at 375 px.
import type { Page } from '@playwright/test';
import { apiAs, expect, expectAccessible, screenshot, signInFast, test } from './fixtures';

const MENU = ['/settings/store', '/settings/fx-rates', '/settings/carriers', '/settings/notifications', '/settings/risk', '/settings/data-retention'];

// A button still under the pointer after a click shows antd's hover colour (lighter than the theme's AA
// primary): axe looks at the page at rest.
async function accessible(page: Page, what: string): Promise<void> {
  await page.locator('h3').first().hover({ force: true, timeout: 5_000 }).catch(() => undefined);
  await expectAccessible(page, what);
}

function unique(): string {
  return `${Date.now().toString(36)}${Math.floor(Math.random() * 1e4).toString(36)}`;
}

test('admin changes an FX rate and sees it saved', async ({ page, request, baseURL }) => {
  const admin = await apiAs(request, baseURL, 'admin');
  const before = await admin<{ reportingCurrency: string; rates: Record<string, { rate: string }> }>('GET', '/settings/fx-rates');
  expect(before.status).toBe(200);
  if (!before.body.rates.USD) {
    const rates = Object.fromEntries(Object.entries(before.body.rates).map(([currency, entry]) => [currency, entry.rate]));
    const seeded = await admin('PUT', '/settings/fx-rates', { reportingCurrency: before.body.reportingCurrency, rates: { ...rates, USD: '7.1' } });
    expect(seeded.status, JSON.stringify(seeded.body)).toBe(200);
  }
  const rate = `7.${Math.floor(Math.random() * 9000 + 1000)}`;
  await signInFast(page, baseURL, 'admin');
  await page.goto('#/settings/fx-rates');
  const page$ = page.getByTestId('settings-fx-page');
  await expect(page$).toBeVisible();
  const rows = page.locator('[data-testid^="fx-currency-"]');
  await expect(rows.first()).toBeVisible();
  const count = await rows.count();
  let index = -1;
  for (let i = 0; i < count; i += 1) if ((await rows.nth(i).inputValue()) === 'USD') index = i;
  expect(index).toBeGreaterThanOrEqual(0);
  await page.getByTestId(`fx-rate-${index}`).fill(rate);
  await page.getByTestId('fx-reason').fill('e2e: FX rate');
  await page.getByTestId('fx-save').click();
  await expect(page.getByText('Saved')).toBeVisible();
  await expect(page.getByTestId('last-changed')).toContainText('demo-admin');
  await expect(page.getByTestId('change-log')).toContainText('e2e: FX rate');
  const after = await admin<{ rates: Record<string, { rate: string }> }>('GET', '/settings/fx-rates');
  expect(after.body.rates.USD.rate).toBe(rate);
  await page.reload();
  await expect(page.getByTestId(`fx-rate-${index}`)).toHaveValue(rate);
  await accessible(page, 'settings fx rates');
  await screenshot(page, 'settings-fx');
});

test('a stale version is refused with the 412 problem, and the current one can be loaded', async ({ page, request, baseURL }) => {
  const admin = await apiAs(request, baseURL, 'admin');
  await signInFast(page, baseURL, 'admin');
  await page.goto('#/settings/fx-rates');
  await expect(page.getByTestId('fx-reporting')).toHaveValue(/^[A-Z]{3}$/);
  // Someone else changes the rates after the page read them.
  const current = await admin<{ reportingCurrency: string; rates: Record<string, { rate: string }> }>('GET', '/settings/fx-rates');
  const rates = Object.fromEntries(Object.entries(current.body.rates).map(([currency, entry]) => [currency, entry.rate]));
  const meanwhile = await admin('PUT', '/settings/fx-rates', { reportingCurrency: current.body.reportingCurrency, rates: { ...rates, EUR: `7.${Math.floor(Math.random() * 900 + 100)}` }, reason: 'meanwhile' });
  expect(meanwhile.status, JSON.stringify(meanwhile.body)).toBe(200);
  await page.getByTestId('fx-reason').fill('e2e: stale');
  await page.getByTestId('fx-save').click();
  const problem = page.getByTestId('problem');
  await expect(problem).toBeVisible();
  await expect(problem).toHaveAttribute('data-problem-type', 'urn:oms:problem:precondition-failed');
  await expect(problem).toContainText('412');
  await page.getByTestId('reload-current').click();
  await expect(page.getByTestId('problem')).toHaveCount(0);
  await page.getByTestId('fx-save').click();
  await expect(page.getByText('Saved')).toBeVisible();
});

test('admin edits a freight template and saves it', async ({ page, request, baseURL }) => {
  const admin = await apiAs(request, baseURL, 'admin');
  const id = `e2e-${unique()}`;
  const created = await admin('PUT', `/stores/demo/freight-templates/${id}`, {
    name: `E2E ${id}`, currency: 'CNY', basis: 'weight',
    rules: [{ regions: [], first: 1000, firstFee: { amount: 800, currency: 'CNY' }, additional: 500, additionalFee: { amount: 200, currency: 'CNY' } }],
  });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  try {
    await signInFast(page, baseURL, 'admin');
    await page.goto('#/settings/store');
    await expect(page.getByTestId('store-name')).toHaveValue(/.+/);
    await page.getByTestId(`freight-edit-${id}`).click();
    const editor = page.getByTestId('freight-editor');
    await expect(editor.getByTestId('freight-name')).toHaveValue(`E2E ${id}`);
    await editor.getByTestId('freight-rule-0-first-fee').fill('12.5');
    await editor.getByTestId('freight-excluded').locator('input').fill('CN/Xizang');
    await editor.getByTestId('freight-excluded').locator('input').press('Enter');
    await accessible(page, 'freight template editor');
    await editor.getByTestId('freight-save').click();
    await expect(page.getByTestId('freight-editor')).toHaveCount(0);
    const saved = await admin<{ rules: { firstFee: { amount: number } }[]; excludedRegions: string[]; version: number }>('GET', `/stores/demo/freight-templates/${id}`);
    expect(saved.body.rules[0].firstFee.amount).toBe(1250);
    expect(saved.body.excludedRegions).toEqual(['CN/Xizang']);
    expect(saved.body.version).toBe(2);
    await expect(page.getByTestId('freight-list')).toContainText('¥12.50');
    await accessible(page, 'settings store');
    await screenshot(page, 'settings-store');
  } finally {
    await admin('DELETE', `/stores/demo/freight-templates/${id}`);
  }
});

test('the risk settings load and save', async ({ page, request, baseURL }) => {
  const admin = await apiAs(request, baseURL, 'admin');
  const value = 40 + Math.floor(Math.random() * 50);
  await signInFast(page, baseURL, 'admin');
  await page.goto('#/settings/risk');
  await expect(page.getByTestId('risk-checkout-user-limit')).toHaveValue(/^\d+$/);
  await page.getByTestId('risk-velocity-customer').fill(String(value));
  await page.getByTestId('risk-reason').fill('e2e: velocity');
  await page.getByTestId('risk-save').click();
  await expect(page.getByText('Saved')).toBeVisible();
  const saved = await admin<{ rules: { velocity: { maxOrdersPerCustomer: number } }; stored: boolean }>('GET', '/settings/risk');
  expect(saved.body.rules.velocity.maxOrdersPerCustomer).toBe(value);
  expect(saved.body.stored).toBe(true);
  await expect(page.getByTestId('change-log')).toContainText('e2e: velocity');
  await accessible(page, 'settings risk');
  await screenshot(page, 'settings-risk');
});

test('the notification rules, carriers and data retention pages load', async ({ page, baseURL }) => {
  await signInFast(page, baseURL, 'admin');
  await page.goto('#/settings/notifications');
  await expect(page.getByTestId('notification-events')).toContainText('OrderShipped');
  await expect(page.getByTestId('event-OrderShipped-custom')).toBeVisible();
  await accessible(page, 'settings notifications');
  await screenshot(page, 'settings-notifications');

  await page.goto('#/settings/carriers');
  await expect(page.getByTestId('carriers-save')).toBeVisible();
  await accessible(page, 'settings carriers');

  await page.goto('#/settings/data-retention');
  await expect(page.getByTestId('retention-days')).toHaveValue(/^\d+$/);
  await accessible(page, 'settings data retention');
  // The erasure names the customer before anything happens; the API's refusal shows as its problem.
  const customer = `nobody-${unique()}`;
  await page.getByTestId('erasure-customer').fill(customer);
  await page.getByTestId('erasure-reason').fill('e2e: erasure request');
  await page.getByTestId('erasure-submit').click();
  await expect(page.getByTestId('erasure-confirm-text')).toContainText(customer);
  await page.getByTestId('erasure-confirm').click();
  await expect(page.getByTestId('problem')).toContainText('404');
});

test('roles that may not change the settings do not see their menu entries', async ({ page, baseURL }) => {
  await signInFast(page, baseURL, 'support');
  await page.goto('#/');
  const menu = page.getByTestId('side-menu');
  await expect(menu).toBeVisible();
  for (const path of MENU) await expect(menu.locator(`[data-menu-path="${path}"]`), `support does not see ${path}`).toHaveCount(0);
  // Support may read the FX rates (GET is open to staff) but not change them: read-only by its address.
  await page.goto('#/settings/fx-rates');
  await expect(page.getByTestId('read-only')).toBeVisible();
  await expect(page.getByTestId('fx-reporting')).toBeDisabled();
  await expect(page.getByTestId('fx-save')).toHaveCount(0);
});

test('finance sees only the FX rates among these settings', async ({ page, baseURL }) => {
  await signInFast(page, baseURL, 'finance');
  await page.goto('#/');
  const menu = page.getByTestId('side-menu');
  await expect(menu).toBeVisible();
  for (const path of MENU) {
    await expect(menu.locator(`[data-menu-path="${path}"]`), `finance and ${path}`).toHaveCount(path === '/settings/fx-rates' ? 1 : 0);
  }
});

test.describe('on a phone', () => {
  test.use({ viewport: { width: 375, height: 812 } });

  test('the store page fits 375 px', async ({ page, baseURL }) => {
    await signInFast(page, baseURL, 'admin');
    await page.goto('#/settings/store');
    await expect(page.getByTestId('store-name')).toHaveValue(/.+/);
    await expect(page.getByTestId('freight-list')).toBeVisible();
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    await accessible(page, 'settings store on a phone');
    await screenshot(page, 'settings-store-phone');
  });
});
