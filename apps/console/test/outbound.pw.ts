import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { startSink, type Sink, type SinkRequest } from '../../../test/support/sink';
import { ADMIN_KEY, expect, expectAccessible, ok, signIn, test, unique } from './support/fixtures';

/**
 * Outbound from the browser: an endpoint to a loopback sink is created and a test send shows
 * its attempt; a delivery to a failing sink dead-letters, and once the sink recovers the
 * operator replays it from its detail page until it is done. A signing secret is rotated from
 * the list: the new secret is shown once, and both secrets verify during the overlap.
 */
let sink: Sink;
test.beforeAll(async () => {
  sink = await startSink();
});
test.afterAll(async () => {
  await sink?.close();
});

test('an endpoint to a loopback sink is created and a test send shows its attempt', async ({
  page,
}) => {
  const code = unique('crm');
  await signIn(page, ADMIN_KEY, 'admin');
  await page.getByRole('link', { name: 'Outbound endpoints' }).click();
  await page.getByRole('button', { name: 'New outbound endpoint' }).click();
  const form = page.getByRole('dialog', { name: 'New outbound endpoint' });
  await form.getByLabel('Code').fill(code);
  await form.getByLabel('Name').fill(`CRM ${code}`);
  await form.getByLabel('Target host').fill(sink.url);
  await form.getByLabel('Target path').fill('/hooks/test');
  await form.getByRole('button', { name: 'Create endpoint' }).click();
  await expect(form).toBeHidden();
  const row = page.getByRole('row').filter({ hasText: code });
  await expect(row.getByText('active')).toBeVisible();

  await row.getByRole('button', { name: 'Test send' }).click();
  const drawer = page.getByRole('dialog', { name: `Test send to ${code}` });
  await drawer.getByRole('button', { name: 'Send test' }).click();
  await drawer.getByRole('link', { name: /Open delivery/ }).click();
  await expect(async () => {
    await page.getByRole('button', { name: 'Refresh' }).click();
    await expect(page.getByTestId('attempts')).toContainText('HTTP 200', { timeout: 1000 });
  }).toPass({ timeout: 30_000 });
  expect(sink.requests.some((request) => request.url === '/hooks/test')).toBe(true);
});

test('a dead-lettered delivery is replayed from the UI after the sink recovers', async ({
  page,
  adminApi,
}) => {
  const code = unique('flaky');
  const shortId = (id: string) => id.slice(-12);
  await ok(
    adminApi.POST('/api/v1/outbound-endpoints', {
      body: {
        code,
        name: code,
        state: 'active',
        targetHost: sink.url,
        targetPath: '/hooks/flaky',
        retryPolicy: { maxAttempts: 1 },
      },
    }),
  );
  sink.script = [{ status: 500, body: 'down' }];
  const delivery = await ok(
    adminApi.POST('/api/v1/deliveries', { body: { endpoint: code, payload: { n: 1 } as never } }),
  );
  // Without `?wait=` the answer is the stored delivery (202), never an attempt's outcome.
  if (!('id' in delivery)) throw new Error('expected the stored delivery');
  await signIn(page, ADMIN_KEY, 'admin');
  await page.goto(`/console/deliveries?endpoint=${code}&state=dead_letter`);
  await expect(async () => {
    await page.reload();
    await expect(page.getByRole('link', { name: shortId(delivery.id) })).toBeVisible({
      timeout: 1000,
    });
  }).toPass({ timeout: 30_000 });
  await page.getByRole('link', { name: shortId(delivery.id) }).click();
  await expect(page.getByTestId('attempts')).toContainText('HTTP 500');

  // The sink answers 200 again (its script is used up); replay: reset, then queue.
  await page.getByRole('button', { name: 'Reset' }).click();
  await expect(page.getByText('draft').first()).toBeVisible();
  await page.getByRole('button', { name: 'Queue now' }).click();
  await expect(async () => {
    await page.getByRole('button', { name: 'Refresh' }).click();
    await expect(page.getByTestId('attempts')).toContainText('HTTP 200', { timeout: 1000 });
  }).toPass({ timeout: 30_000 });
  await expect(page.getByText('done').first()).toBeVisible();
});

test('dead-lettered deliveries are replayed by filter after a confirmation', async ({
  page,
  adminApi,
}) => {
  const code = unique('bulk');
  await ok(
    adminApi.POST('/api/v1/outbound-endpoints', {
      body: {
        code,
        name: code,
        state: 'active',
        targetHost: sink.url,
        targetPath: '/hooks/bulk',
        retryPolicy: { maxAttempts: 1 },
      },
    }),
  );
  sink.script = [
    { status: 503, body: 'down' },
    { status: 503, body: 'down' },
  ];
  for (const n of [1, 2]) {
    await ok(
      adminApi.POST('/api/v1/deliveries', { body: { endpoint: code, payload: { n } as never } }),
    );
  }
  await signIn(page, ADMIN_KEY, 'admin');
  await page.goto(`/console/deliveries?endpoint=${code}&state=dead_letter`);
  await expect(async () => {
    await page.reload();
    await expect(page.getByRole('table', { name: 'Deliveries' }).getByRole('link')).toHaveCount(2, {
      timeout: 1000,
    });
  }).toPass({ timeout: 30_000 });

  await page.getByRole('button', { name: 'Replay matching deliveries' }).click();
  const dialog = page.getByRole('dialog', { name: 'Replay deliveries' });
  await expect(dialog.getByTestId('replay-count')).toHaveText('This will replay 2 deliveries.');
  await dialog.getByRole('button', { name: 'Replay', exact: true }).click();
  await expect(dialog.getByRole('status')).toHaveText('2 delivery(ies) queued again.');
  await dialog.getByRole('button', { name: 'Close' }).first().click();
  await page.goto(`/console/deliveries?endpoint=${code}&state=done`);
  await expect(async () => {
    await page.reload();
    await expect(page.getByRole('table', { name: 'Deliveries' }).getByRole('link')).toHaveCount(2, {
      timeout: 1000,
    });
  }).toPass({ timeout: 30_000 });
});

test('a connector is provisioned from the UI and its report says what changed', async ({
  page,
  adminApi,
}) => {
  const connector = await ok(
    adminApi.POST('/api/v1/connectors', {
      body: {
        kind: 'generic-http',
        code: unique('partner'),
        name: 'Partner API',
        baseUrl: `${sink.url}/inbox`,
        credentials: { token: 'partner-token-123' },
      } as never,
    }),
  );
  await signIn(page, ADMIN_KEY, 'admin');
  await page.getByRole('link', { name: 'Connectors' }).click();
  await page.getByRole('link', { name: connector.code }).click();
  await expect(page.getByText('None yet: provision creates them.')).toBeVisible();
  await page.getByRole('button', { name: 'Provision' }).click();
  const report = page.getByRole('table', { name: 'Provision report' });
  await expect(report).toContainText(`generic-http-${connector.id}-default`);
  await expect(report).toContainText('created');
  await expect(
    page.getByRole('table', { name: 'Outbound endpoints of the connector' }),
  ).toContainText(`generic-http-${connector.id}-default`);
  // A second run changes nothing, and says so.
  await page.getByRole('button', { name: 'Provision' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Nothing to change' })).toBeVisible();
});

test('lists page by cursor, and the page is in the URL', async ({ page, adminApi }) => {
  const code = unique('paged');
  await ok(
    adminApi.POST('/api/v1/outbound-endpoints', {
      body: { code, name: code, state: 'active', targetHost: sink.url, targetPath: '/hooks/paged' },
    }),
  );
  for (let n = 0; n < 27; n += 1) {
    await ok(
      adminApi.POST('/api/v1/deliveries', { body: { endpoint: code, payload: { n } as never } }),
    );
  }
  await signIn(page, ADMIN_KEY, 'admin');
  await page.goto(`/console/deliveries?endpoint=${code}`);
  const rows = page.getByRole('table', { name: 'Deliveries' }).getByRole('link');
  await expect(rows).toHaveCount(25);
  await page.getByRole('button', { name: 'Next page' }).click();
  await expect(page).toHaveURL(/cursor=/);
  await expect(rows).toHaveCount(2);
  await expect(page.getByRole('button', { name: 'Next page' })).toBeDisabled();
  const secondPage = page.url();
  await page.goBack();
  await expect(rows).toHaveCount(25);
  // The second page's URL opens the second page.
  await page.goto(secondPage);
  await expect(rows).toHaveCount(2);
});

const verifies = (secret: string, request: SinkRequest): boolean => {
  try {
    new Webhook(secret).verify(request.body.toString(), request.headers as Record<string, string>);
    return true;
  } catch {
    return false;
  }
};

test('an admin rotates a signing secret: shown once, and both secrets verify in the overlap', async ({
  page,
  adminApi,
}) => {
  const code = unique('rotate');
  const oldSecret = `whsec_${randomBytes(24).toString('base64')}`;
  const endpoint = await ok(
    adminApi.POST('/api/v1/outbound-endpoints', {
      body: {
        code,
        name: code,
        state: 'active',
        targetHost: sink.url,
        targetPath: `/hooks/${code}`,
        signing: { type: 'standard-webhooks', secret: oldSecret },
      },
    }),
  );
  await signIn(page, ADMIN_KEY, 'admin');
  await page.getByRole('link', { name: 'Outbound endpoints' }).click();
  const row = page.getByRole('row').filter({ hasText: code });
  await row.getByRole('button', { name: `Rotate signing secret of ${code}` }).click();
  const dialog = page.getByRole('dialog', { name: 'Rotate signing secret' });
  await expect(dialog.getByLabel('Overlap (seconds)')).toHaveValue('86400');
  await expectAccessible(page, 'rotate signing secret');
  const before = Date.now();
  await dialog.getByRole('button', { name: 'Rotate', exact: true }).click();
  const shown = dialog.getByTestId('new-signing-secret');
  await expect(shown).toHaveText(/^whsec_/);
  const newSecret = (await shown.textContent())!;
  expect(newSecret).not.toBe(oldSecret);
  await expect(dialog.getByTestId('rotated-previous-expiry')).toContainText('signs too until');
  await dialog.getByRole('button', { name: 'Close' }).first().click();
  await expect(row.getByTestId('previous-secret-expiry')).toBeVisible();

  const stored = await ok(
    adminApi.GET('/api/v1/outbound-endpoints/{id}', { params: { path: { id: endpoint.id } } }),
  );
  const expiresAt = Date.parse(String(stored.signing.previousSecretExpiresAt));
  expect(expiresAt).toBeGreaterThanOrEqual(before + 86_400_000 - 5_000);
  expect(expiresAt).toBeLessThanOrEqual(Date.now() + 86_400_000 + 5_000);

  // A delivery now carries both signatures: receivers holding either secret verify it.
  await ok(
    adminApi.POST('/api/v1/deliveries', { body: { endpoint: code, payload: { n: 1 } as never } }),
  );
  let request: SinkRequest | undefined;
  await expect(async () => {
    request = sink.requests.find((r) => r.url === `/hooks/${code}`);
    expect(request).toBeDefined();
  }).toPass({ timeout: 30_000 });
  expect(String(request!.headers['webhook-signature']).split(' ')).toHaveLength(2);
  expect(verifies(newSecret, request!)).toBe(true);
  expect(verifies(oldSecret, request!)).toBe(true);
  expect(verifies(`whsec_${randomBytes(24).toString('base64')}`, request!)).toBe(false);

  // The secret was shown once: after a reload it is nowhere; the overlap's end still is.
  await page.reload();
  await expect(row.getByTestId('previous-secret-expiry')).toBeVisible();
  await expect(page.getByTestId('new-signing-secret')).toHaveCount(0);
  await expect(page.getByText(newSecret)).toHaveCount(0);
});

test('rotation answers show as messages: overlap with plain hmac, an endpoint that does not sign', async ({
  page,
  adminApi,
}) => {
  const code = unique('plainhmac');
  const endpoint = await ok(
    adminApi.POST('/api/v1/outbound-endpoints', {
      body: {
        code,
        name: code,
        state: 'active',
        targetHost: sink.url,
        targetPath: `/hooks/${code}`,
        signing: { type: 'hmac', header: 'X-Signature', secret: 'plain-hmac-secret-0123456789' },
      },
    }),
  );
  await signIn(page, ADMIN_KEY, 'admin');
  await page.getByRole('link', { name: 'Outbound endpoints' }).click();
  const row = page.getByRole('row').filter({ hasText: code });
  const rotateButton = row.getByRole('button', { name: `Rotate signing secret of ${code}` });
  await rotateButton.click();
  const dialog = page.getByRole('dialog', { name: 'Rotate signing secret' });
  const overlap = dialog.getByLabel('Overlap (seconds)');
  await dialog.getByRole('button', { name: 'Rotate', exact: true }).click();
  await expect(overlap).toHaveAttribute('aria-invalid', 'true');
  await expect(overlap).toHaveAccessibleDescription(/plain hmac signing holds one signature/);
  await expect(dialog.getByTestId('new-signing-secret')).toHaveCount(0);
  await overlap.fill('0');
  await dialog.getByRole('button', { name: 'Rotate', exact: true }).click();
  await expect(dialog.getByTestId('new-signing-secret')).not.toBeEmpty();
  await expect(dialog.getByTestId('rotated-previous-expiry')).toHaveText(
    'The previous secret no longer signs.',
  );
  await dialog.getByRole('button', { name: 'Close' }).first().click();
  await expect(row.getByTestId('previous-secret-expiry')).toHaveCount(0);

  // The endpoint stops signing behind the page's back: the API's 409 shows as a message.
  await ok(
    adminApi.PUT('/api/v1/outbound-endpoints/{id}', {
      params: { path: { id: endpoint.id } },
      body: { signing: { type: 'none' } },
    }),
  );
  await rotateButton.click();
  await dialog.getByRole('button', { name: 'Rotate', exact: true }).click();
  await expect(dialog.getByRole('alert')).toContainText('the endpoint does not sign its requests');
  await dialog.getByRole('button', { name: 'Close' }).first().click();
  // Once the list is fresh, an endpoint that does not sign offers no rotation.
  await page.reload();
  await expect(row).toBeVisible();
  await expect(rotateButton).toHaveCount(0);
});

test('an operator sees the overlap of a rotated secret but no rotation control', async ({
  page,
  adminApi,
}) => {
  const code = unique('oprotate');
  const endpoint = await ok(
    adminApi.POST('/api/v1/outbound-endpoints', {
      body: {
        code,
        name: code,
        state: 'active',
        targetHost: sink.url,
        targetPath: `/hooks/${code}`,
        signing: {
          type: 'standard-webhooks',
          secret: `whsec_${randomBytes(24).toString('base64')}`,
        },
      },
    }),
  );
  await ok(
    adminApi.POST('/api/v1/outbound-endpoints/{id}/rotate-secret', {
      params: { path: { id: endpoint.id } },
      body: { overlapSeconds: 3600 },
    }),
  );
  const operator = await ok(
    adminApi.POST('/api/v1/api-keys', { body: { name: unique('operator'), role: 'operator' } }),
  );
  await signIn(page, operator.key, 'operator');
  await page.getByRole('link', { name: 'Outbound endpoints' }).click();
  const row = page.getByRole('row').filter({ hasText: code });
  await expect(row.getByTestId('previous-secret-expiry')).toBeVisible();
  await expect(page.getByRole('button', { name: /Rotate/ })).toHaveCount(0);
});
