import { expect, expectAccessible, screenshot, signInWithPage, test } from './fixtures';

test('the sign-in page offers the demo users and signs an operator in', async ({ page }) => {
  await page.goto('#/signin');
  await expect(page.getByTestId('sign-in-admin')).toBeVisible();
  await expectAccessible(page, 'sign-in');
  await screenshot(page, 'sign-in');
  await signInWithPage(page, 'admin');
  await expect(page.getByTestId('signed-in-as')).toContainText('demo-admin');
});
