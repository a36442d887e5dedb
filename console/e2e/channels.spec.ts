// Channel pages in the browser against the local stack: the channel stores with their total balance and
// the seeded Tmall store (synced on the page; its disable refused while an order is unsettled), a new
// store with its one-time callback secret, codes uploaded to GIFT-100 with per-line results, the
// e-commerce order tabs with a channel order placed through the sandbox channel, the daily checks, and
// the channel stores at 375 px as cards; axe on each page.
import type { Page } from '@playwright/test';
import { apiAs, expect, expectAccessible, origin, screenshot, signInFast, test } from './fixtures';

const run = `${Date.now().toString(36)}${Math.floor(Math.random() * 1e4).toString(36)}`.toUpperCase();

async function axe(page: Page, what: string) {
  await page.mouse.move(0, 0);
  await expectAccessible(page, what);
}

interface ChannelStore {
  storeId: string;
  orderingUserId: string;
  balance: { amount: number; currency: string };
}

/** The seeded Tmall store (ordering as channel-tmall). */
async function tmall(call: Awaited<ReturnType<typeof apiAs>>): Promise<ChannelStore> {
  const page = await call<{ items: ChannelStore[] }>('GET', '/channel-stores?q=channel-tmall');
  const store = page.body.items.find((item) => item.orderingUserId === 'channel-tmall');
  expect(store, 'the seeded Tmall store').toBeTruthy();
  return store as ChannelStore;
}

test.describe('channels', () => {
  test.beforeEach(async ({ page, baseURL }) => {
    await signInFast(page, baseURL, 'admin');
  });

  test('channel stores: the total balance, the seeded Tmall store, a sync, a new store’s secret', async ({ page, request, baseURL }) => {
    const admin = await apiAs(request, baseURL, 'admin');
    const all = await admin<{ totals: { amount: number; currency: string }[] }>('GET', '/channel-stores');
    const cny = all.body.totals.find((total) => total.currency === 'CNY');
    expect(cny).toBeTruthy();

    await page.goto('#/channel-stores');
    const list = page.getByTestId('channel-stores-list');
    await expect(list.getByTestId('ordering-user').filter({ hasText: 'channel-tmall' })).toBeVisible();
    const total = ((cny?.amount ?? 0) / 100).toLocaleString('en', { minimumFractionDigits: 2 });
    await expect(page.getByTestId('channel-total')).toContainText(total);
    await screenshot(page, 'channel-stores');
    await axe(page, 'channel stores');

    await page.getByTestId('sync-channel-tmall').click();
    const row = list.locator('tr', { hasText: 'channel-tmall' });
    await expect(row).not.toContainText('Never synced');
    await expect(page.getByText(/^Synced/)).toBeVisible();

    // The search narrows the list; the type filter too.
    await page.getByTestId('channel-search').fill('channel-tmall');
    await page.getByTestId('filters-apply').click();
    await expect(list.locator('tbody tr.ant-table-row')).toHaveCount(1);

    // A new store: its callback secret is shown once.
    await page.getByTestId('channel-store-create').click();
    await page.getByTestId('channel-name').fill(`E2E store ${run}`);
    await page.getByTestId('channel-ordering-user').fill(`e2e-channel-${run.toLowerCase()}`);
    await page.getByTestId('channel-domain').fill(`redeem-${run.toLowerCase()}.example.com`);
    await page.getByTestId('channel-store-submit').click();
    await expect(page.getByTestId('callback-secret')).not.toBeEmpty();
  });

  test('a channel order: on the channel tab, not on the platform tab; the Tmall store cannot be disabled', async ({ page, request, baseURL }) => {
    const admin = await apiAs(request, baseURL, 'admin');
    const finance = await apiAs(request, baseURL, 'finance');
    const store = await tmall(admin);
    // Keep the channel's balance topped up for the order (VIP-MONTH: 30.00).
    const topUp = await finance('POST', '/customers/channel-tmall/balance/adjustments', {
      direction: 'credit', amount: { amount: 3000, currency: 'CNY' }, reason: `e2e top-up ${run}`,
    }, { 'Idempotency-Key': `e2e-top-up-${run}` });
    expect(topUp.status).toBe(201);
    const channelOrderNo = `E2E-TM-${run}`;
    const sent = await request.post(`${origin(baseURL)}/_local/sandbox/channels/${store.storeId}/orders`, {
      data: { channelOrderNo, lines: [{ skuId: 'VIP-MONTH', quantity: 1 }] },
    });
    expect(sent.ok()).toBeTruthy();
    expect(((await sent.json()) as { status: number }).status).toBe(200);

    await page.goto('#/ecommerce-orders');
    await expect(page.getByTestId('ecom-orders-list')).toBeVisible();
    await page.getByTestId('ecom-tab-channel').click();
    await page.getByTestId('ecom-channel-no').fill(channelOrderNo);
    await page.getByTestId('filters-apply').click();
    const row = page.getByTestId('ecom-orders-list').locator('tr', { hasText: channelOrderNo });
    await expect(row).toBeVisible();
    await expect(row.locator('[data-source="channel"]')).toBeVisible();
    await expect(row.getByTestId('ecom-order-link')).toHaveAttribute('href', /#\/orders\/[0-9A-Z]+$/);
    await screenshot(page, 'ecommerce-orders');
    await axe(page, 'e-commerce orders');
    await page.getByTestId('ecom-tab-platform').click();
    await expect(page.getByTestId('ecom-orders-list').locator('tr', { hasText: channelOrderNo })).toHaveCount(0);
    await page.getByTestId('ecom-tab-all').click();
    await expect(page.getByTestId('ecom-orders-list').locator('tr', { hasText: channelOrderNo })).toBeVisible();

    // Disabling a store with an unsettled order is refused, and the refusal lists it.
    await page.goto('#/channel-stores');
    await page.getByTestId('status-channel-tmall').click();
    await page.getByTestId('status-reason').fill('e2e: check the refusal');
    await page.getByTestId('status-submit').click();
    await expect(page.getByTestId('problem')).toHaveAttribute('data-problem-type', 'urn:oms:problem:channel-store-unsettled');
    await expect(page.getByTestId('unsettled')).toContainText(channelOrderNo);
  });

  test('uploads codes to GIFT-100 and shows the results', async ({ page }) => {
    const codes = [1, 2, 3].map((n) => `E2E-${run}-${n}`);
    await page.goto('#/code-pools?sku=GIFT-100');
    await expect(page.getByTestId('pool-summary')).toBeVisible();
    const before = Number(await page.getByTestId('pool-available').innerText());
    await page.getByTestId('codes-file').fill(`${codes.join('\n')}\n${codes[0]}\n`);
    await page.getByTestId('codes-upload').click();
    await expect(page.getByTestId('codes-added')).toHaveAttribute('data-added', '3');
    await expect(page.getByTestId('codes-rejected')).toContainText('4');
    await expect(page.getByTestId('pool-available')).toHaveText(String(before + 3));
    // Listed masked: the first and last two characters.
    await expect(page.getByTestId('codes-list')).toContainText(/E2\*+-1/);
    await expect(page.getByTestId('codes-list')).not.toContainText(codes[0]);
    await screenshot(page, 'code-pools');
    await axe(page, 'code pools');

    // The same codes again are duplicates, shown masked, and nothing is added.
    await page.getByTestId('codes-file').fill(codes.join('\n'));
    await page.getByTestId('codes-upload').click();
    await expect(page.getByTestId('codes-added')).toHaveAttribute('data-added', '0');
    await expect(page.getByTestId('codes-result')).toContainText('3 duplicates');
  });

  test('the daily checks list the channel balances', async ({ page }) => {
    await page.goto('#/daily-checks');
    await expect(page.getByTestId('daily-balances')).toContainText('Tmall');
    await expect(page.getByTestId('daily-counts')).toBeVisible();
    await axe(page, 'daily checks');
  });
});

test.describe('channel stores at 375 px', () => {
  test.use({ viewport: { width: 375, height: 812 } });

  test('shows the stores as cards and the filters in a drawer', async ({ page, baseURL }) => {
    await signInFast(page, baseURL, 'admin');
    await page.goto('#/channel-stores');
    await expect(page.getByTestId('channel-stores-list')).toHaveAttribute('data-layout', 'cards');
    await expect(page.getByTestId('channel-stores-list').getByTestId('ordering-user').filter({ hasText: 'channel-tmall' })).toBeVisible();
    await expect(page.getByTestId('channel-total')).toBeVisible();
    await page.getByTestId('filters-open').click();
    await expect(page.getByTestId('channel-search')).toBeVisible();
    await page.getByTestId('filters-apply').click();
    await screenshot(page, 'channel-stores-375');
    await axe(page, 'channel stores at 375 px');
  });
});
