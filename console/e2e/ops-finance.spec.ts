// Finance: an underpaid order's anomaly is listed and resolved (accepted, the rest written off); the
// failed-refund queue, the risk pages and the payment-method settings load and keep their rules.
import { expect, expectAccessible, screenshot, signInFast, test } from './fixtures';
import { callers, paidOrder } from './ops-fixtures';

test('an abnormal payment is listed and resolved with a decision', async ({ page, request, baseURL }) => {
  const order = await paidOrder(request, baseURL, { short: 100 });
  const { admin } = await callers(request, baseURL);
  const open = await admin<{ items: { anomalyId: string; orderId: string }[] }>('GET', '/anomalies?status=OPEN&limit=100');
  const anomaly = open.body.items.find((item) => item.orderId === order.orderId);
  expect(anomaly, 'the underpayment opened a case').toBeTruthy();
  const anomalyId = anomaly?.anomalyId ?? '';

  await signInFast(page, baseURL, 'finance');
  await page.goto('#/anomalies');
  const list = page.getByTestId('anomalies');
  const row = list.getByRole('row', { name: new RegExp(order.orderId) });
  await expect(row).toContainText('Amount mismatch');
  await expectAccessible(page, 'anomalies');
  await screenshot(page, 'anomalies');

  await page.getByTestId(`resolve-${anomalyId}`).click();
  const dialog = page.getByTestId('resolve-anomaly');
  await expect(dialog.getByText('Write it off')).toBeVisible(); // an underpayment asks what happens to the rest
  await page.getByTestId('anomaly-note').fill('OK');
  await page.getByTestId('resolve-anomaly-confirm').click();
  await expect(dialog.getByText('3 to 2,000 characters')).toBeVisible();
  await page.getByTestId('anomaly-note').fill('Short by a yuan: written off');
  await page.getByTestId('resolve-anomaly-confirm').click();
  await expect(page.getByTestId('resolve-anomaly')).toBeHidden();
  await expect(list.getByRole('row', { name: new RegExp(order.orderId) })).toHaveCount(0);
  expect((await admin<{ status: string }>('GET', `/orders/${order.orderId}`)).body.status).toBe('PAID');

  await page.getByLabel('Status').click();
  await page.getByTitle('Resolved').click();
  await page.getByTestId('filters-apply').click();
  await expect(list.getByRole('row', { name: new RegExp(order.orderId) })).toContainText('Accept');
});

test('a decision the case does not allow shows the problem', async ({ page, request, baseURL }) => {
  const order = await paidOrder(request, baseURL, { short: 50 });
  const { admin } = await callers(request, baseURL);
  const open = await admin<{ items: { anomalyId: string; orderId: string }[] }>('GET', '/anomalies?status=OPEN&limit=100');
  const anomalyId = open.body.items.find((item) => item.orderId === order.orderId)?.anomalyId ?? '';
  await signInFast(page, baseURL, 'admin');
  await page.goto('#/anomalies');
  await page.getByTestId(`resolve-${anomalyId}`).click();
  await page.getByTestId('anomaly-decision').getByText('Dismiss').click();
  await page.getByTestId('anomaly-note').fill('Nothing to do here');
  await page.getByTestId('resolve-anomaly-confirm').click();
  await expect(page.getByTestId('resolve-anomaly').getByTestId('problem')).toBeVisible();
});

test('failed refunds, risk review and blacklists, payment methods', async ({ page, baseURL }) => {
  await signInFast(page, baseURL, 'admin');
  await page.goto('#/refunds');
  await expect(page.getByTestId('failed-refunds')).toBeVisible();
  await expectAccessible(page, 'failed refunds');

  await page.goto('#/risk');
  await expect(page.getByTestId('risk-reviews')).toBeVisible();
  await page.getByRole('tab', { name: 'Blacklists' }).click();
  const value = `ops-e2e-${Date.now()}`;
  await page.getByTestId('blacklist-add').click();
  await page.getByTestId('blacklist-value').fill(value);
  await page.getByTestId('blacklist-reason').fill('fraud ring (test)');
  await page.getByTestId('blacklist-form-confirm').click();
  await expect(page.getByTestId('blacklist')).toContainText(value);
  await page.mouse.move(0, 0);
  await expectAccessible(page, 'blacklists');
  await page.getByTestId(`unlist-${value}`).click();
  await page.getByTestId('unlist-reason').fill('listed by a test');
  await page.getByTestId('unlist-form-confirm').click();
  await expect(page.getByTestId('blacklist')).not.toContainText(value);

  await page.goto('#/settings/payment-methods');
  await expect(page.getByTestId('method-alipay-enabled')).toBeVisible();
  await page.getByLabel('Alipay Minimum').fill('999999');
  await page.getByTestId('payment-methods-save').click();
  await expect(page.getByText('The minimum is above the maximum for Alipay')).toBeVisible();
  await page.getByRole('button', { name: 'Reset' }).click();
  await page.getByTestId('payment-methods-reason').fill('e2e: saved as read');
  await page.getByTestId('payment-methods-save').click();
  await expect(page.locator('.ant-message').getByText('Saved').last()).toBeVisible();
  await page.mouse.move(0, 0); // not on the hovered (lighter) save button
  await page.waitForTimeout(300);
  await expectAccessible(page, 'payment methods');
});
