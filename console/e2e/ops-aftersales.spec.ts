// After-sales: the queue shows a case opened through the API; its detail shows what it claims and the
// step it waits for with its deadline; staff walk it through approve → return parcel → carrier delivery →
// inspection; the queue is a column of cards at 375 px.
import { expect, expectAccessible, screenshot, signInFast, test } from './fixtures';
import { callers, returnCase } from './ops-fixtures';

test('the queue lists a waiting case and its detail walks it to the refund', async ({ page, request, baseURL }) => {
  const opened = await returnCase(request, baseURL);
  const { local } = await callers(request, baseURL);
  await signInFast(page, baseURL, 'admin');
  await page.goto('#/after-sales');
  const queue = page.getByTestId('after-sales-queue');
  await expect(queue).toHaveAttribute('data-layout', 'table');
  await page.getByLabel('Waiting for').click();
  await page.getByTitle('Decision').click();
  await page.getByTestId('filters-apply').click();
  await expect(queue.getByRole('link', { name: opened.caseId })).toBeVisible();
  await expect(queue.getByRole('row', { name: new RegExp(opened.caseId) }).getByTestId('deadline')).toHaveText(/in \d+ (minute|second)s?/);
  await page.mouse.move(0, 0); // antd's hovered primary button is lighter than AA while the pointer rests on it
  await page.waitForTimeout(300);
  await expectAccessible(page, 'after-sales queue');
  await screenshot(page, 'after-sales-queue');

  // The listing of every case, by status.
  await page.getByTestId('after-sales-mode').getByText('All cases').click();
  await expect(page.getByTestId('after-sales-list').getByRole('link', { name: opened.caseId })).toBeVisible();

  await page.goto(`#/after-sales/${opened.caseId}`);
  const detail = page.getByTestId('after-sales-case');
  await expect(detail).toHaveAttribute('data-status', 'REQUESTED');
  await expect(detail).toContainText('Return and refund');
  await expect(detail).toContainText('Damaged');
  await expect(detail).toContainText('TEE-RED-M');
  await expect(page.getByTestId('case-waiting-for')).toHaveText('Decision');
  await expect(page.getByTestId('case-order-link')).toHaveAttribute('href', `#/orders/${opened.orderId}`);
  await page.mouse.move(0, 0); // the pointer still rests where the mode switch was, over the back link (hover is lighter)
  await page.waitForTimeout(300);
  await expectAccessible(page, 'after-sales case');
  await screenshot(page, 'after-sales-case');

  // A rejection needs its reason: the form says so before the API would.
  await page.getByTestId('case-action-reject').click();
  await page.getByTestId('case-action-confirm').click();
  await expect(page.getByText('Say why')).toBeVisible();
  await page.getByRole('dialog').getByRole('button', { name: 'Cancel', exact: true }).click();

  await page.getByTestId('case-action-approve').click();
  await page.getByTestId('case-action-note').fill('Return it, please');
  await page.getByTestId('case-action-confirm').click();
  await expect(detail).toHaveAttribute('data-status', 'AWAITING_RETURN');
  await expect(page.getByTestId('case-history')).toContainText('Approved');

  // Support records the return parcel for the shopper; the carrier's DELIVERED books it in.
  const trackingNumber = `RT${Date.now()}`;
  await page.getByTestId('case-action-return-shipment').click();
  await page.getByTestId('return-carrier').fill('sf');
  await page.getByTestId('return-tracking').fill(trackingNumber);
  await page.getByTestId('case-action-confirm').click();
  await expect(detail).toHaveAttribute('data-status', 'RETURN_SHIPPED');
  await expect(page.getByTestId('case-return')).toContainText(trackingNumber);
  await local('/_local/sandbox/carriers/sf/events', { trackingNumber, status: 'DELIVERED' });
  await expect(async () => {
    await page.reload();
    await expect(detail).toHaveAttribute('data-status', 'RECEIVED', { timeout: 2000 });
  }).toPass({ timeout: 30_000 });
  await expect(page.getByTestId('case-return')).toContainText('DELIVERED');

  // Inspection: restockable + damaged must add up to the returned unit.
  await page.getByTestId('case-action-inspect').click();
  await page.getByTestId('inspect-damaged-1').fill('1');
  await page.getByTestId('case-action-confirm').click();
  await expect(page.getByText('must add up')).toBeVisible();
  await page.getByTestId('inspect-restockable-1').fill('0');
  await page.getByTestId('case-action-confirm').click();
  await expect(detail).not.toHaveAttribute('data-status', 'RECEIVED');
  await expect(detail).toContainText('0 restockable, 1 damaged');
});

test('a move the case no longer waits for shows the API problem', async ({ page, request, baseURL }) => {
  const opened = await returnCase(request, baseURL);
  const { admin } = await callers(request, baseURL);
  await signInFast(page, baseURL, 'admin');
  await page.goto(`#/after-sales/${opened.caseId}`);
  await expect(page.getByTestId('case-action-approve')).toBeVisible();
  // Someone else decides meanwhile.
  expect((await admin('POST', `/after-sales/${opened.caseId}/approve`, {})).status).toBe(200);
  await page.getByTestId('case-action-reject').click();
  await page.getByTestId('case-action-note').fill('Too late');
  await page.getByTestId('case-action-confirm').click();
  await expect(page.getByTestId('problem')).toHaveAttribute('data-problem-type', 'urn:oms:problem:case-not-waiting');
});

test('the warehouse sees no decision buttons', async ({ page, request, baseURL }) => {
  const opened = await returnCase(request, baseURL);
  await signInFast(page, baseURL, 'warehouse');
  await page.goto(`#/after-sales/${opened.caseId}`);
  await expect(page.getByTestId('after-sales-case')).toBeVisible();
  await expect(page.getByTestId('case-action-approve')).toHaveCount(0);
  await expect(page.getByTestId('case-actions')).toContainText('Nothing for your role');
});

test.describe('at 375 px', () => {
  test.use({ viewport: { width: 375, height: 812 } });

  test('the after-sales queue is a column of cards with a filter drawer', async ({ page, request, baseURL }) => {
    const opened = await returnCase(request, baseURL);
    await signInFast(page, baseURL, 'support');
    await page.goto('#/after-sales');
    const queue = page.getByTestId('after-sales-queue');
    await expect(queue).toHaveAttribute('data-layout', 'cards');
    await expect(queue.getByRole('link', { name: opened.caseId }).first()).toBeVisible();
    await page.getByTestId('filters-open').click();
    await expect(page.getByRole('dialog')).toBeVisible();
    await page.getByTestId('filters-apply').click();
    await expect(page.getByRole('dialog')).toBeHidden();
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(375);
    await expectAccessible(page, 'after-sales queue at 375 px');
    await screenshot(page, 'after-sales-queue-375');
    await queue.getByRole('link', { name: opened.caseId }).first().click();
    await expect(page.getByTestId('after-sales-case')).toBeVisible();
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(375);
  });
});
