// Shared helpers of the browser tests: sign in as a demo user (through the sign-in page, or by putting a
// minted token in the session), call the API as a demo user, save a screenshot as a test artefact, and run
// axe-core on a page (no serious or critical violation).
import AxeBuilder from '@axe-core/playwright';
import { test as base, expect, type APIRequestContext, type Page } from '@playwright/test';

export type DemoKey = 'admin' | 'support' | 'warehouse' | 'finance' | 'merchant' | 'customer' | 'customer_2';

export const DEMO: Record<DemoKey, { sub: string; roles: string[]; stores: string[] }> = {
  admin: { sub: 'demo-admin', roles: ['admin'], stores: [] },
  support: { sub: 'demo-support', roles: ['support'], stores: [] },
  warehouse: { sub: 'demo-warehouse', roles: ['warehouse'], stores: [] },
  finance: { sub: 'demo-finance', roles: ['finance'], stores: [] },
  merchant: { sub: 'demo-merchant', roles: ['merchant'], stores: ['demo'] },
  customer: { sub: 'demo-customer', roles: ['customer'], stores: [] },
  customer_2: { sub: 'demo-customer-2', roles: ['customer'], stores: [] },
};

export function origin(baseURL: string | undefined): string {
  return new URL(baseURL ?? 'http://127.0.0.1:3411/console/').origin;
}

export async function tokenFor(request: APIRequestContext, baseURL: string | undefined, key: DemoKey): Promise<string> {
  const user = DEMO[key];
  const response = await request.post(`${origin(baseURL)}/_local/token`, {
    data: { sub: user.sub, roles: user.roles, stores: user.stores, expiresIn: 8 * 3600 },
  });
  expect(response.ok()).toBeTruthy();
  return ((await response.json()) as { token: string }).token;
}

/** An API caller as a demo user: `call('POST', '/orders', body)` answers the parsed JSON and status. */
export async function apiAs(request: APIRequestContext, baseURL: string | undefined, key: DemoKey) {
  const token = await tokenFor(request, baseURL, key);
  return async <T = Record<string, unknown>>(
    method: string,
    path: string,
    data?: unknown,
    headers: Record<string, string> = {},
  ): Promise<{ status: number; body: T }> => {
    const response = await request.fetch(`${origin(baseURL)}${path}`, {
      method,
      data,
      headers: { Authorization: `Bearer ${token}`, ...headers },
    });
    const text = await response.text();
    return { status: response.status(), body: (text ? JSON.parse(text) : {}) as T };
  };
}

/** Sign in by the sign-in page's button for this demo user. */
export async function signInWithPage(page: Page, key: DemoKey): Promise<void> {
  await page.goto('#/signin');
  await page.getByTestId(`sign-in-${key}`).click();
  await page.waitForURL((url) => !url.hash.startsWith('#/signin'));
}

/** Sign in without the page: the token goes into the session before the app starts. */
export async function signInFast(page: Page, baseURL: string | undefined, key: DemoKey, locale = 'en'): Promise<void> {
  const token = await tokenFor(page.request, baseURL, key);
  await page.addInitScript(
    ([value, language]) => {
      window.sessionStorage.setItem('oms.session', value);
      if (!window.localStorage.getItem('oms.locale')) window.localStorage.setItem('oms.locale', language);
    },
    [token, locale],
  );
}

/** Where screenshots go: screenshots/ beside test-results/ (a CI artefact that a later run's clean-up of
 * test-results/ does not wipe), or OMS_E2E_SCREENSHOTS. */
export const SCREENSHOTS = process.env.OMS_E2E_SCREENSHOTS ?? 'screenshots';

/** Save a full-page screenshot as <SCREENSHOTS>/<name>.png. */
export async function screenshot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: `${SCREENSHOTS}/${name}.png`, fullPage: true });
}

/** axe-core on the page as it is now: no violation of impact serious or critical. */
export async function expectAccessible(page: Page, what: string): Promise<void> {
  // Popovers, drawers and modals fade in: colours are checked once nothing is animating any more.
  // (Endless ones, such as a spinner, are left alone, and the wait is capped.)
  await page
    .waitForFunction(
      () =>
        document
          .getAnimations()
          .every((animation) => animation.playState !== 'running' || animation.effect?.getTiming().iterations === Infinity),
      undefined,
      { timeout: 5_000 },
    )
    .catch(() => undefined);
  const results = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa']).analyze();
  const bad = results.violations.filter((violation) => violation.impact === 'serious' || violation.impact === 'critical');
  expect(
    bad.map((violation) => `${violation.id} (${violation.impact}): ${violation.nodes.map((node) => node.target.join(' ')).slice(0, 3).join(' | ')}`),
    `axe on ${what}`,
  ).toEqual([]);
}

export const test = base;
export { expect };
