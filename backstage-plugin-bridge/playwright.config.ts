import { defineConfig } from '@playwright/test';

/**
 * The browser tests (`yarn test:e2e`): packages/app/e2e-tests in headless Chromium against the whole demo system
 * (the app and Backstage backend with the spire-mgmt plugins, Envoy, the spire-mgmt backend on its embedded
 * PostgreSQL, two real SPIRE servers with their site agents), which the global setup starts and stops.
 *
 * Playwright cannot download its browsers here: it drives the system's Chromium (Debian's `chromium` package,
 * `/usr/bin/chromium`, or `SPIRE_MGMT_CHROMIUM`). Screenshots of every step, and a trace of a failed test, go to
 * `packages/app/e2e-test-results` (with SPIRE_MGMT_DOCS_SCREENSHOTS=1, one per screen also to the repository's
 * docs/screenshots).
 */
export default defineConfig({
  testDir: 'packages/app/e2e-tests',
  globalSetup: require.resolve('./packages/app/e2e-tests/globalSetup'),
  outputDir: 'packages/app/e2e-test-results',
  // One demo system, one set of users and entries: the tests run one after another.
  workers: 1,
  fullyParallel: false,
  forbidOnly: !!process.env.CI,
  retries: 0,
  timeout: 180_000,
  expect: { timeout: 30_000 },
  reporter: [['list']],
  use: {
    baseURL: 'http://localhost:3000',
    browserName: 'chromium',
    screenshot: 'only-on-failure',
    trace: 'retain-on-failure',
    launchOptions: {
      executablePath: process.env.SPIRE_MGMT_CHROMIUM ?? '/usr/bin/chromium',
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    },
  },
});
