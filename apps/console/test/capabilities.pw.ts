import type { Route } from '@playwright/test';
import { ADMIN_KEY, expect, expectAccessible, ok, signIn, test, unique } from './support/fixtures';

/**
 * The console's choices are the server's capabilities (`GET /api/v1/capabilities`), not
 * copies: with the answer edited on its way to the browser (as a build whose core gained a
 * preset and a rule action, and lost a preset, would answer), the endpoint form offers the
 * new preset and no longer the old one, and the rule editor offers the new action with the
 * input its parameter asks for. The description is fetched once per session.
 */
test('the endpoint and rule forms offer what the server’s capabilities describe, fetched once', async ({
  page,
  adminApi,
}) => {
  let fetched = 0;
  await page.route('**/api/v1/capabilities', async (route: Route) => {
    fetched += 1;
    const response = await route.fetch();
    const body = await response.json();
    body.signature.presets = body.signature.presets.filter(
      (preset: { name: string }) => preset.name !== 'shopify',
    );
    body.signature.presets.push({
      name: 'acme',
      label: 'Acme Hooks',
      freshness: { enabled: true, maxAgeSeconds: 120 },
      handshakes: [],
      secretEncoding: 'utf8',
      requires: ['secret'],
    });
    body.rules.inbound.actions.push({
      name: 'snooze',
      parameters: [
        {
          field: 'retrySeconds',
          type: 'seconds',
          required: true,
          label: 'Snooze for (s)',
          need: 'retrySeconds greater than 0',
        },
      ],
    });
    await route.fulfill({ response, json: body });
  });

  const code = unique('caps');
  const handler = await ok(
    adminApi.POST('/api/v1/handlers', {
      body: {
        code,
        name: `Capabilities ${code}`,
        direction: 'inbound',
        executionMode: 'rules',
        rules: [{ sequence: 10, name: 'first', action: 'done' }],
      },
    }),
  );
  await signIn(page, ADMIN_KEY, 'admin');

  // The endpoint form: the new preset, with its timestamp window; the removed one gone.
  await page.getByRole('link', { name: 'Inbound endpoints' }).click();
  await page.getByRole('button', { name: 'New inbound endpoint' }).click();
  const form = page.getByRole('dialog', { name: 'New inbound endpoint' });
  const preset = form.getByRole('combobox', { name: 'Provider preset', exact: true });
  await preset.click();
  await expect(page.getByRole('option', { name: 'Acme Hooks', exact: true })).toBeVisible();
  await expect(page.getByRole('option', { name: 'GitHub', exact: true })).toBeVisible();
  await expect(page.getByRole('option', { name: 'Custom HMAC', exact: true })).toBeVisible();
  await expect(page.getByRole('option', { name: 'Shopify', exact: true })).toHaveCount(0);
  await page.getByRole('option', { name: 'Acme Hooks', exact: true }).click();
  await expect(preset).toHaveValue('Acme Hooks');
  await expect(preset).toHaveAccessibleDescription(/signed timestamp \(at most 120 s old\)/);
  await expectAccessible(page, 'endpoint form with a preset from the capabilities');
  await form.getByRole('button', { name: 'Cancel' }).click();

  // The rule editor: the new action, and the input its parameter describes.
  await page.getByRole('link', { name: 'Handlers & rules' }).click();
  await page.getByRole('link', { name: code, exact: true }).click();
  const editor = page.getByRole('group', { name: /^Rule 1/ });
  await editor.getByRole('combobox', { name: 'Rule 1 action', exact: true }).click();
  await page.getByRole('option', { name: 'snooze', exact: true }).click();
  const snooze = editor.getByRole('textbox', { name: 'Rule 1 snooze for (s)' });
  await expect(snooze).toBeVisible();
  await snooze.fill('90');
  // The server's core does not know the action: its refusal shows on the action.
  await page.getByRole('button', { name: 'Save rules' }).click();
  const action = editor.getByRole('combobox', { name: 'Rule 1 action', exact: true });
  await expect(action).toHaveAttribute('aria-invalid', 'true');
  const stored = await ok(
    adminApi.GET('/api/v1/handlers/{id}', { params: { path: { id: handler.id } } }),
  );
  expect(stored.rules).toMatchObject([{ name: 'first', action: 'done' }]);

  expect(fetched).toBe(1);
});
