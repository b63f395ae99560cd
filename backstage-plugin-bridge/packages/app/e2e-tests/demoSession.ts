import AxeBuilder from '@axe-core/playwright';
import { Browser, expect, Page, TestInfo } from '@playwright/test';
import {
  clientsThroughBackstage,
  DEMO_BACKSTAGE_URL,
  signInAsDemoUser,
} from '@internal/spire-mgmt-test-stack';
import { SpireMgmtClients } from '@spire-mgmt/backstage-plugin-spire-mgmt-common';
import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';

/** The demo catalog's users the browser tests act as (catalog/demo-org.yaml). */
export const DEMO = {
  developer: { name: 'dana', displayName: 'Dana Developer' },
  operator: { name: 'oscar', displayName: 'Oscar Operator' },
  viewer: { name: 'vera', displayName: 'Vera Viewer' },
  newcomer: { name: 'nina', displayName: 'Nina Newcomer' },
} as const;

export type DemoUserKey = keyof typeof DEMO;

/** Where one screenshot per screen goes when SPIRE_MGMT_DOCS_SCREENSHOTS is set: the repository's docs. */
const DOCS_SCREENSHOTS = join(__dirname, '../../../../docs/screenshots');

/**
 * Opens the app in a browser context of its own (its own session storage) and signs in as `user` on the demo's
 * sign-in page, as a person would; returns the page, on the catalog.
 */
export async function signIn(
  browser: Browser,
  user: DemoUserKey,
): Promise<Page> {
  const context = await browser.newContext({
    viewport: { width: 1440, height: 900 },
  });
  const page = await context.newPage();
  await signInOn(page, user);
  return page;
}

/** Signs in as `user` on the demo's sign-in page in `page` (a new tab asks again: the choice is per tab). */
export async function signInOn(page: Page, user: DemoUserKey): Promise<void> {
  await page.goto('/');
  await page
    .getByRole('button', { name: `Sign in as ${DEMO[user].displayName}` })
    .click();
  // The catalog is the start page.
  await expect(
    page.getByRole('heading', { name: /catalog/i }).first(),
  ).toBeVisible();
}

/**
 * Checks the page with axe (WCAG 2.0 and 2.1, levels A and AA) and fails on any violation, naming each rule and
 * the elements it found.
 */
export async function expectAccessible(
  page: Page,
  screen: string,
): Promise<void> {
  const results = await new AxeBuilder({ page })
    .withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'])
    .analyze();
  const found = results.violations.map(
    v =>
      `${v.id} (${v.impact}): ${v.help}\n${v.nodes
        .map(
          n =>
            `    ${n.target.join(' ')}: ${(n.failureSummary ?? '')
              .split('\n')
              .slice(1)
              .join(' ')
              .trim()}`,
        )
        .join('\n')}`,
  );
  expect(found, `accessibility violations on ${screen}`).toEqual([]);
}

/**
 * Keeps a screenshot of the page as a test artifact (`<step>.png` in the test's output folder); with
 * `docsName` and SPIRE_MGMT_DOCS_SCREENSHOTS set, also as the repository's docs/screenshots/<docsName>.png.
 */
export async function snap(
  page: Page,
  testInfo: TestInfo,
  step: string,
  docsName?: string,
): Promise<void> {
  const path = testInfo.outputPath(`${step}.png`);
  await page.screenshot({ path, fullPage: true });
  await testInfo.attach(step, { path, contentType: 'image/png' });
  if (docsName && process.env.SPIRE_MGMT_DOCS_SCREENSHOTS) {
    mkdirSync(DOCS_SCREENSHOTS, { recursive: true });
    copyFileSync(path, join(DOCS_SCREENSHOTS, `${docsName}.png`));
  }
}

/** The spire-mgmt clients of a demo user, through the Backstage backend plugin (as the user's browser calls). */
export async function clientsOf(user: DemoUserKey): Promise<SpireMgmtClients> {
  const token = await signInAsDemoUser(DEMO_BACKSTAGE_URL, DEMO[user].name);
  return clientsThroughBackstage(DEMO_BACKSTAGE_URL, token);
}

/** The demo sites' ids by name. */
export async function siteIds(
  clients: SpireMgmtClients,
): Promise<Record<string, string>> {
  const { sites } = await clients.sites.listSites({});
  return Object.fromEntries(sites.map(s => [s.name, s.id]));
}
