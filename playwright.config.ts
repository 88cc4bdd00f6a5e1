import { defineConfig } from '@playwright/test';

/**
 * The portal's end-to-end specs (test/portal/*.portal.ts), one per kind of person, in Debian's chromium against the
 * whole platform the global setup starts (PostgreSQL, a Temporal dev server, the API serving the built portal, the
 * worker). `npm test` runs them after jest; `npx playwright test` alone needs `npm run build` first.
 */
export default defineConfig({
  testDir: 'test/portal',
  testMatch: '*.portal.ts',
  globalSetup: './test/portal/global-setup.ts',
  // One platform, one browser at a time: the machine has two cores, and the specs are journeys, not unit checks.
  workers: 1,
  fullyParallel: false,
  forbidOnly: Boolean(process.env.CI),
  timeout: 120_000,
  expect: { timeout: 20_000 },
  outputDir: 'test/artifacts/playwright',
  reporter: [['list']],
  use: {
    browserName: 'chromium',
    launchOptions: { executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium' },
    viewport: { width: 1360, height: 900 },
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
  },
});
