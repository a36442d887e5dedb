// Settings: the role matrix refuses what the API's limits refuse (the problem names the rule), and the
// audit log finds an audited staff action by its action.
import { expect, expectAccessible, screenshot, signInFast, test } from './fixtures';
import { callers } from './ops-fixtures';

test('the roles page shows the matrix and the limits, and a refused change names its rule', async ({ page, baseURL }) => {
  await signInFast(page, baseURL, 'admin');
  await page.goto('#/settings/roles');
  const cell = page.getByTestId('cell-support-audit:read');
  await expect(cell).toBeVisible();
  await expect(page.getByTestId('cell-admin-roles:manage')).toBeChecked();
  await expect(page.getByTestId('role-limits')).toContainText('audit:read');
  await expectAccessible(page, 'roles');
  await screenshot(page, 'roles');

  // audit:read stays the admin's: granting it to support is a 422 role-limit (non-delegable).
  await cell.check();
  await expect(cell).toHaveAttribute('data-state', 'granted');
  await page.getByTestId('roles-reason').fill('e2e: try a non-delegable grant');
  await page.getByTestId('roles-save').click();
  await expect(page.getByTestId('problem')).toHaveAttribute('data-problem-type', 'urn:oms:problem:role-limit');
  await expect(page.getByTestId('role-limit-rule')).toContainText('non-delegable');
  await page.getByTestId('roles-reset').click();
  await expect(cell).not.toBeChecked();
});

test('the audit log finds an audited action by its action and actor', async ({ page, request, baseURL }) => {
  const { admin } = await callers(request, baseURL);
  const value = `audit-e2e-${Date.now()}`;
  expect((await admin('POST', '/risk/blacklist', { kind: 'device', value, reason: 'audit e2e' })).status).toBeLessThan(300);
  await admin('POST', '/risk/blacklist/device/remove', { value, reason: 'audit e2e done' });

  await signInFast(page, baseURL, 'admin');
  await page.goto('#/audit');
  await expect(page.getByTestId('audit')).toBeVisible();
  await page.getByTestId('audit-action').fill('risk.blacklist-add');
  await page.getByTestId('audit-actor').fill('demo-admin');
  await page.getByTestId('filters-apply').click();
  const row = page.getByTestId('audit').getByRole('row', { name: /audit e2e/ }).first();
  await expect(row).toContainText('risk.blacklist-add');
  await expect(row).toContainText('demo-admin');
  await row.getByRole('button').click();
  await expect(page.getByRole('dialog')).toContainText(value);
  await page.keyboard.press('Escape');

  await page.getByTestId('audit-action').fill('not an action');
  await page.getByTestId('filters-apply').click();
  await expect(page.getByText('noun.verb')).toBeVisible();
  await page.getByTestId('audit-action').fill('');
  await page.getByTestId('filters-apply').click();
  await page.mouse.move(0, 0);
  await expectAccessible(page, 'audit');
  await screenshot(page, 'audit');
});
