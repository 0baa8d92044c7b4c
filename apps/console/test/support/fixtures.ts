import AxeBuilder from '@axe-core/playwright';
import { test as base, expect, type Page } from '@playwright/test';
import { createHookgateClient, type HookgateClient } from '@app/client';
import { ADMIN_KEY } from './env';

/**
 * What every console test uses: the admin app's URL as `baseURL`, an admin API client
 * (the same generated client the console uses) for setup and checks, signing in, and the
 * accessibility check.
 */
export { ADMIN_KEY, expect };

export const adminUrl = (): string => {
  const url = process.env.CONSOLE_ADMIN_URL;
  if (!url) throw new Error('CONSOLE_ADMIN_URL is unset: run through playwright.config.ts');
  return url;
};
export const inboundUrl = (): string => process.env.CONSOLE_INBOUND_URL!;

// Playwright reads a fixture's dependencies from its destructured first argument: `{}` is none.
/* eslint-disable no-empty-pattern */
export const test = base.extend<{ adminApi: HookgateClient }>({
  baseURL: async ({}, use) => use(adminUrl()),
  adminApi: async ({}, use) =>
    use(createHookgateClient({ baseUrl: adminUrl(), apiKey: ADMIN_KEY })),
});

/** Unwraps a client answer in a test: its data, or a failure naming the status and body. */
export async function ok<T>(
  request: Promise<{ data?: T; error?: unknown; response: Response }>,
): Promise<T> {
  const { data, error, response } = await request;
  if (!response.ok) throw new Error(`HTTP ${response.status}: ${JSON.stringify(error)}`);
  return data as T;
}

export async function signIn(page: Page, key: string, role: 'admin' | 'operator'): Promise<void> {
  await page.goto('/console/');
  await expect(page).toHaveURL(/\/console\/sign-in/);
  await page.getByLabel('API key').fill(key);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByTestId('principal-role')).toHaveText(role);
}

/** No serious or critical axe violation on the page as it is now. */
export async function expectAccessible(page: Page, what: string): Promise<void> {
  const results = await new AxeBuilder({ page }).analyze();
  const blocking = results.violations
    .filter((violation) => violation.impact === 'serious' || violation.impact === 'critical')
    .map(
      (violation) =>
        `${what}: ${violation.id} (${violation.impact}) ${violation.help} at ` +
        violation.nodes.map((node) => node.target.join(' ')).join(', '),
    );
  expect(blocking).toEqual([]);
}

export const unique = (prefix: string): string =>
  `${prefix}-${Date.now().toString(36)}${Math.floor(Math.random() * 1e4)}`;
