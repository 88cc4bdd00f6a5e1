import AxeBuilder from '@axe-core/playwright';
import { expect, type Page } from '@playwright/test';
import * as fs from 'node:fs';
import * as path from 'node:path';

/** The platform the global setup started, as the browser reaches it. */
export const portalUrl = (): string => {
  const url = process.env.TIDINGS_PORTAL_URL;
  if (!url) throw new Error('TIDINGS_PORTAL_URL is not set: run the specs with `npx playwright test` (test/portal/global-setup.ts starts the platform)');
  return url;
};

/** Every seeded user's password (test/support/api.ts createOrganization). */
export const PASSWORD = 'a long test password';

export async function logIn(page: Page, email: string): Promise<void> {
  await page.goto(`${portalUrl()}/login`);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Log in' }).click();
  await expect(page.getByRole('navigation', { name: 'Main' })).toBeVisible();
}

const SCREENSHOTS = path.join(__dirname, '../artifacts/screens');

/**
 * The page as it stands: no serious or critical axe violations (WCAG 2.x A and AA rules), and a screenshot in
 * test/artifacts/screens/<name>.png for people to look at.
 */
export async function checkPage(page: Page, name: string): Promise<void> {
  fs.mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage: true });
  const results = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
  const blocking = results.violations
    .filter((violation) => violation.impact === 'serious' || violation.impact === 'critical')
    .map((violation) => `${violation.id} (${violation.impact}): ${violation.help} — ${violation.nodes.map((node) => node.target.join(' ')).join(', ')}`);
  expect(blocking, `accessibility violations on ${name}`).toEqual([]);
}
