// End-to-end tests in headless Chromium against a local stack this config starts (oms-local serving the
// built console at /console/). Debian's chromium is used through executablePath: no browser download.
import { defineConfig, devices } from '@playwright/test';

const port = Number(process.env.OMS_E2E_PORT ?? 3411);
const python = process.env.OMS_PYTHON ?? '../.venv/bin/oms-local';

export default defineConfig({
  testDir: 'e2e',
  outputDir: process.env.OMS_E2E_OUTPUT ?? 'test-results', // traces and failure screenshots
  timeout: 90_000,
  expect: { timeout: 15_000 },
  fullyParallel: false,
  workers: 1,
  retries: process.env.CI ? 1 : 0,
  reporter: [['list'], ['html', { open: 'never', outputFolder: 'playwright-report' }]],
  use: {
    baseURL: `http://127.0.0.1:${port}/console/`,
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
    launchOptions: { executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium' },
  },
  projects: [
    { name: 'desktop', use: { ...devices['Desktop Chrome'], viewport: { width: 1366, height: 900 } } },
  ],
  webServer: {
    command: `${python} --template ../template.yaml --port ${port} --payment-timeout 900 --log-level WARNING`,
    url: `http://127.0.0.1:${port}/_local/health`,
    timeout: 180_000,
    reuseExistingServer: !process.env.CI,
    stdout: 'ignore',
    stderr: 'pipe',
    env: { ...process.env, OMS_CONSOLE_DIR: process.env.OMS_CONSOLE_DIR ?? `${process.cwd()}/dist` } as Record<string, string>,
  },
});
