import { defineConfig } from '@playwright/test';

/**
 * The console's browser tests (`npm run test:console`, after `npm run build`): Playwright's
 * runner driving the system's Chromium (Debian's `chromium`; no browser download), against
 * the built apps started by test/support/apps.ts on a database and queue prefix of their
 * own, with loopback sinks. One worker: the scenarios share the apps.
 */
export default defineConfig({
  testDir: './test',
  testMatch: '**/*.pw.ts',
  globalSetup: './test/support/apps.ts',
  workers: 1,
  fullyParallel: false,
  forbidOnly: true,
  retries: 0,
  timeout: 90_000,
  expect: { timeout: 20_000 },
  reporter: [['list']],
  outputDir: '../../test-results/console',
  use: {
    browserName: 'chromium',
    headless: true,
    viewport: { width: 1280, height: 800 },
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: ['--no-sandbox', '--disable-dev-shm-usage'],
    },
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
  },
});
