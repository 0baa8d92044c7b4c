import { createHmac, randomUUID } from 'node:crypto';
import type { Locator, Page } from '@playwright/test';
import { startSink, type Sink } from '../../../test/support/sink';
import {
  ADMIN_KEY,
  expect,
  expectAccessible,
  inboundUrl,
  ok,
  signIn,
  test,
  unique,
} from './support/fixtures';

/**
 * The configuration forms, through the browser and checked through the API: an outbound
 * endpoint's retry policy and header rules are edited (and its write-only auth set); a bad
 * value shows the API's own message on the field it names; an inbound endpoint with a
 * custom HMAC over ordered signed parts accepts a webhook signed that way; a connector is
 * created and edited. Every form passes axe as it is filled in.
 */
let sink: Sink;
test.beforeAll(async () => {
  sink = await startSink();
});
test.afterAll(async () => {
  await sink?.close();
});

/** Picks `option` in the Mantine select labelled `label` (inside `scope`). */
async function choose(page: Page, scope: Locator, label: string, option: string): Promise<void> {
  await scope.getByRole('combobox', { name: label, exact: true }).click();
  await page.getByRole('option', { name: option, exact: true }).click();
}

test('an outbound endpoint’s retry policy and header rules are edited in the UI', async ({
  page,
  adminApi,
}) => {
  const code = unique('edit');
  const created = await ok(
    adminApi.POST('/api/v1/outbound-endpoints', {
      body: {
        code,
        name: code,
        state: 'active',
        targetHost: sink.url,
        targetPath: '/hooks/edited',
        headerRules: [{ name: 'X-Tenant', value: 'acme' }],
        retryPolicy: { maxAttempts: 3 },
      },
    }),
  );
  await signIn(page, ADMIN_KEY, 'admin');
  await page.goto('/console/outbound-endpoints');
  await page.getByRole('button', { name: `Edit ${code}` }).click();
  const form = page.getByRole('dialog', { name: 'Edit outbound endpoint' });
  await expect(form.getByRole('textbox', { name: 'Max attempts' })).toHaveValue('3');
  await expect(form.getByRole('textbox', { name: 'Header 1 value' })).toHaveValue('acme');

  await form.getByRole('textbox', { name: 'Max attempts' }).fill('7');
  await form.getByRole('textbox', { name: 'Initial delay (s)' }).fill('30');
  await form.getByRole('textbox', { name: 'Header 1 value' }).fill('globex');
  await form.getByRole('button', { name: 'Add header rule' }).click();
  await form.getByRole('textbox', { name: 'Header 2 name' }).fill('X-Source');
  await form.getByRole('textbox', { name: 'Header 2 value' }).fill('hookgate');
  await choose(page, form, 'Authentication', 'Bearer token');
  await form.getByLabel('Token').fill('outbound-bearer-token');
  await expectAccessible(page, 'edit outbound endpoint');
  await form.getByRole('button', { name: 'Save endpoint' }).click();
  await expect(form).toBeHidden();

  const stored = await ok(
    adminApi.GET('/api/v1/outbound-endpoints/{id}', { params: { path: { id: created.id } } }),
  );
  expect(stored.retryPolicy).toMatchObject({ maxAttempts: 7, initialDelaySeconds: 30 });
  expect(stored.headerRules).toEqual([
    { name: 'X-Tenant', value: 'globex' },
    { name: 'X-Source', value: 'hookgate' },
  ]);
  expect(stored.targetPath).toBe('/hooks/edited');
  expect(stored.auth).toMatchObject({ type: 'bearer', secretSet: true });
  expect(JSON.stringify(stored)).not.toContain('outbound-bearer-token');

  // What was saved is what is sent.
  await ok(
    adminApi.POST('/api/v1/outbound-endpoints/{id}/test', {
      params: { path: { id: created.id } },
      body: {},
    }),
  );
  await expect(async () => {
    const request = sink.requests.find((r) => r.url === '/hooks/edited');
    expect(request?.headers['x-tenant']).toBe('globex');
    expect(request?.headers['x-source']).toBe('hookgate');
    expect(request?.headers.authorization).toBe('Bearer outbound-bearer-token');
  }).toPass({ timeout: 30_000 });
});

test('a bad value shows the API’s message on its field, and nothing is saved', async ({
  page,
  adminApi,
}) => {
  const code = unique('bad');
  const created = await ok(
    adminApi.POST('/api/v1/outbound-endpoints', {
      body: {
        code,
        name: code,
        targetHost: sink.url,
        headerRules: [{ name: 'X-Tenant', value: 'acme' }],
        retryPolicy: { maxAttempts: 3 },
      },
    }),
  );
  await signIn(page, ADMIN_KEY, 'admin');
  await page.goto(`/console/outbound-endpoints?edit=${created.id}`);
  const form = page.getByRole('dialog', { name: 'Edit outbound endpoint' });

  // Refused by the request's shape (the DTO)…
  const attempts = form.getByRole('textbox', { name: 'Max attempts' });
  await attempts.fill('0');
  await form.getByRole('button', { name: 'Save endpoint' }).click();
  await expect(attempts).toHaveAttribute('aria-invalid', 'true');
  await expect(attempts).toHaveAccessibleDescription(/maxAttempts must not be less than 1/);
  await expectAccessible(page, 'outbound endpoint with an API error');

  // …and by the endpoint as a whole (a header the sender owns).
  await attempts.fill('5');
  const header = form.getByRole('textbox', { name: 'Header 1 name' });
  await header.fill('Host');
  await form.getByRole('button', { name: 'Save endpoint' }).click();
  await expect(header).toHaveAccessibleDescription(/"Host" is set by the sender/);
  await expect(attempts).not.toHaveAttribute('aria-invalid', 'true');
  await expect(form).toBeVisible();

  const stored = await ok(
    adminApi.GET('/api/v1/outbound-endpoints/{id}', { params: { path: { id: created.id } } }),
  );
  expect(stored.retryPolicy.maxAttempts).toBe(3);
  expect(stored.headerRules).toEqual([{ name: 'X-Tenant', value: 'acme' }]);
});

test('the create form takes every setting', async ({ page, adminApi }) => {
  const code = unique('full');
  await signIn(page, ADMIN_KEY, 'admin');
  await page.goto('/console/outbound-endpoints?create=1');
  const form = page.getByRole('dialog', { name: 'New outbound endpoint' });
  await form.getByLabel('Code').fill(code);
  await form.getByLabel('Name').fill(`Full ${code}`);
  await form.getByLabel('Target host').fill(sink.url);
  await form.getByLabel('Target path').fill('/orders/{orderId}');
  await choose(page, form, 'Method', 'PUT');
  await choose(page, form, 'Initial state', 'draft');
  await form.getByLabel('Event types').fill('order.*');
  await form.getByLabel('Event types').press('Enter');
  await form
    .getByRole('textbox', { name: 'Payload rules (JSON list)' })
    .fill('[{ "path": "order.id", "source": { "kind": "context", "key": "orderId" } }]');
  await choose(page, form, 'Signing scheme', 'HMAC');
  await form.getByLabel('Signing secret').fill('outbound-hmac-secret');
  await form.getByRole('textbox', { name: 'Signature header' }).fill('X-Signature');
  await form.getByRole('textbox', { name: 'Max attempts' }).fill('4');
  await form.getByRole('textbox', { name: 'Rate limit (deliveries per second)' }).fill('20');
  await form.getByRole('textbox', { name: 'Disable after failures in a row' }).fill('50');
  await expectAccessible(page, 'new outbound endpoint');
  await form.getByRole('button', { name: 'Create endpoint' }).click();
  await expect(form).toBeHidden();

  const page1 = await ok(adminApi.GET('/api/v1/outbound-endpoints', { params: { query: {} } }));
  const stored = page1.items.find((e) => e.code === code);
  expect(stored).toMatchObject({
    method: 'PUT',
    state: 'draft',
    targetPath: '/orders/{orderId}',
    eventTypes: ['order.*'],
    payloadRules: [{ path: 'order.id', source: { kind: 'context', key: 'orderId' } }],
    rateLimitPerSecond: 20,
    health: { disableAfterFailures: 50 },
  });
  expect(stored?.retryPolicy.maxAttempts).toBe(4);
  expect(stored?.signing).toMatchObject({ type: 'hmac', header: 'X-Signature', secretSet: true });
});

test('an inbound endpoint with a custom HMAC over ordered parts accepts a webhook signed so', async ({
  page,
  adminApi,
}) => {
  const code = unique('hmac');
  const path = `custom/${code}`;
  const secret = 'custom-hmac-secret';
  await ok(
    adminApi.POST('/api/v1/handlers', {
      body: {
        code,
        name: `Custom ${code}`,
        direction: 'inbound',
        executionMode: 'rules',
        rules: [],
      },
    }),
  );
  await signIn(page, ADMIN_KEY, 'admin');
  await page.goto('/console/inbound-endpoints');
  await page.getByRole('button', { name: 'New inbound endpoint' }).click();
  const form = page.getByRole('dialog', { name: 'New inbound endpoint' });
  await form.getByLabel('Name').fill(`Custom ${code}`);
  await form.getByRole('textbox', { name: 'Path', exact: true }).fill(path);
  await form.getByRole('combobox', { name: 'Handler' }).click();
  await page.getByRole('option', { name: new RegExp(code) }).click();
  await choose(page, form, 'Provider preset', 'Custom HMAC');
  await form.getByLabel('Signing secret').fill(secret);
  await form.getByRole('textbox', { name: 'Signature header' }).fill('X-Signature');
  await form.getByRole('textbox', { name: 'Prefix' }).fill('sha256=');

  // Signed: <X-Timestamp>.<body>. Built out of order, then moved into place.
  await expect(form.getByRole('combobox', { name: 'Part 1', exact: true })).toHaveValue('Raw body');
  await form.getByRole('button', { name: 'Add signed part' }).click();
  await form.getByRole('textbox', { name: 'Part 2 text' }).fill('.');
  await form.getByRole('button', { name: 'Move part 2 up' }).click();
  await form.getByRole('button', { name: 'Add signed part' }).click();
  await choose(page, form, 'Part 3', 'Header value');
  await form.getByRole('textbox', { name: 'Part 3 header' }).fill('X-Timestamp');
  await form.getByRole('button', { name: 'Move part 3 up' }).click();
  await form.getByRole('button', { name: 'Move part 2 up' }).click();

  await choose(page, form, 'Timestamp check', 'On');
  await form.getByRole('textbox', { name: 'Timestamp header' }).fill('X-Timestamp');
  await choose(page, form, 'Delivery identity', 'A delivery header');
  await form.getByRole('textbox', { name: 'Delivery header' }).fill('X-Request-Id');
  await form
    .getByRole('textbox', { name: 'Bindings (JSON list)' })
    .fill('[{ "name": "orderId", "source": { "kind": "payload", "path": "order.id" } }]');
  await form.getByRole('switch', { name: /Meta's verification/ }).check();
  await form.getByLabel('Meta verify token').fill('meta-verify-token');
  await expectAccessible(page, 'new inbound endpoint with a custom HMAC');

  // A security setting the API cannot resolve is reported on its own input, not on the
  // signature as a whole: a header part with no header name, then a timestamp check with
  // no header to read.
  async function refusedOn(input: Locator, message: RegExp): Promise<void> {
    await form.getByRole('button', { name: 'Create endpoint' }).click();
    await expect(input).toHaveAttribute('aria-invalid', 'true');
    await expect(input).toHaveAccessibleDescription(message);
    // Not the whole-signature alert the API's old `signature` path was shown in.
    await expect(form.getByRole('group', { name: 'Signature' }).getByRole('alert')).toHaveCount(0);
  }
  const partHeader = form.getByRole('textbox', { name: 'Part 1 header' });
  const timestampHeader = form.getByRole('textbox', { name: 'Timestamp header' });
  await partHeader.fill('');
  await refusedOn(partHeader, /signature\.parts\[0\]\.name is required/);
  await partHeader.fill('X-Timestamp');
  await timestampHeader.fill('');
  await refusedOn(timestampHeader, /timestamp\.header is required/);
  await expect(partHeader).not.toHaveAttribute('aria-invalid', 'true');
  await timestampHeader.fill('X-Timestamp');
  await form.getByRole('button', { name: 'Create endpoint' }).click();
  await expect(form).toBeHidden();

  const endpoints = await ok(adminApi.GET('/api/v1/inbound-endpoints'));
  const stored = endpoints.find((e) => e.path === path)!;
  expect(stored.signature).toMatchObject({
    mode: 'hmac',
    header: 'X-Signature',
    prefix: 'sha256=',
    secretSet: true,
    parts: [
      { kind: 'header', name: 'X-Timestamp' },
      { kind: 'literal', value: '.' },
      { kind: 'body' },
    ],
  });
  expect(stored.timestamp).toMatchObject({ enabled: true, header: 'X-Timestamp' });
  expect(stored.identity).toEqual({
    delivery: { policy: 'delivery_header', header: 'X-Request-Id' },
  });
  expect(stored.semanticBindings).toEqual([
    { name: 'orderId', source: { kind: 'payload', path: 'order.id' } },
  ]);
  expect(stored.handshakes).toMatchObject({ meta: { verifyTokenSet: true } });

  async function send(order: 'as configured' | 'body first'): Promise<number> {
    const body = JSON.stringify({ order: { id: `A-${randomUUID()}` } });
    const timestamp = String(Math.floor(Date.now() / 1000));
    const signed = order === 'as configured' ? `${timestamp}.${body}` : `${body}.${timestamp}`;
    const signature = createHmac('sha256', secret).update(signed).digest('hex');
    const res = await fetch(`${inboundUrl()}/webhooks/${path}`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-timestamp': timestamp,
        'x-request-id': randomUUID(),
        'x-signature': `sha256=${signature}`,
      },
      body,
    });
    return res.status;
  }
  await expect(async () => expect(await send('as configured')).toBe(202)).toPass({
    timeout: 30_000,
  });
  expect(await send('body first')).toBe(401);

  // Opened again, the editor shows the scheme as stored; saving it unchanged keeps the
  // write-only secret (the next webhook is still accepted).
  await page.getByRole('button', { name: `Edit Custom ${code}` }).click();
  const edit = page.getByRole('dialog', { name: `Edit Custom ${code}` });
  await expect(edit.getByRole('textbox', { name: 'Part 1 header' })).toHaveValue('X-Timestamp');
  await expect(edit.getByRole('textbox', { name: 'Part 2 text' })).toHaveValue('.');
  await expect(edit.getByRole('combobox', { name: 'Part 3', exact: true })).toHaveValue('Raw body');
  await expectAccessible(page, 'edit inbound endpoint with a custom HMAC');
  await edit.getByRole('button', { name: 'Save' }).click();
  await expect(edit).toBeHidden();
  await expect(async () => expect(await send('as configured')).toBe(202)).toPass({
    timeout: 30_000,
  });
});

test('the rule editor shows the API’s messages on the rule fields they concern', async ({
  page,
  adminApi,
}) => {
  const code = unique('rules');
  const handler = await ok(
    adminApi.POST('/api/v1/handlers', {
      body: {
        code,
        name: `Rules ${code}`,
        direction: 'inbound',
        executionMode: 'rules',
        rules: [{ sequence: 10, name: 'opened', action: 'done' }],
      },
    }),
  );
  await signIn(page, ADMIN_KEY, 'admin');
  await page.goto(`/console/handlers/${handler.id}`);
  const editor = page.getByRole('group', { name: /^Rule 1/ });
  await expect(editor.getByRole('textbox', { name: 'Rule 1 name' })).toHaveValue('opened');

  // Rule 1 writes a record but names no model, and its header condition reads no header.
  await choose(page, editor, 'Rule 1 action', 'upsert_record');
  await editor.getByRole('button', { name: 'Add condition to rule 1' }).click();
  await choose(page, editor, 'Rule 1 condition 1 source', 'headers');
  await editor.getByRole('textbox', { name: 'Rule 1 condition 1 value' }).fill('issues');
  await page.getByRole('button', { name: 'Save rules' }).click();
  const model = editor.getByRole('textbox', { name: 'Rule 1 target model' });
  const path = editor.getByRole('textbox', { name: 'Rule 1 condition 1 path' });
  await expect(model).toHaveAttribute('aria-invalid', 'true');
  await expect(model).toHaveAccessibleDescription(/upsert_record needs a targetModel/);
  await expect(path).toHaveAttribute('aria-invalid', 'true');
  await expect(path).toHaveAccessibleDescription(/a headers condition needs a path/);
  await expect(editor.getByLabel('Rule 1 lookups (JSON list)')).toHaveAccessibleDescription(
    /needs at least one lookup/,
  );
  await expectAccessible(page, 'rule editor with API messages');
  let stored = await ok(
    adminApi.GET('/api/v1/handlers/{id}', { params: { path: { id: handler.id } } }),
  );
  expect(stored.rules).toMatchObject([{ name: 'opened', action: 'done' }]);

  // Fixed on the form, saved, and stored as the form shows it.
  await model.fill('tickets');
  await path.fill('x-github-event');
  await editor
    .getByLabel('Rule 1 lookups (JSON list)')
    .fill('[{ "field": "id", "source": { "kind": "payload", "path": "issue.id" } }]');
  await page.getByRole('button', { name: 'Save rules' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Saved.' })).toBeVisible();
  stored = await ok(
    adminApi.GET('/api/v1/handlers/{id}', { params: { path: { id: handler.id } } }),
  );
  expect(stored.rules).toMatchObject([
    {
      sequence: 10,
      name: 'opened',
      action: 'upsert_record',
      targetModel: 'tickets',
      conditions: [{ source: 'headers', path: 'x-github-event', operator: '=', value: 'issues' }],
      lookups: [{ field: 'id', source: { kind: 'payload', path: 'issue.id' } }],
    },
  ]);
  // The JSON tab shows the same rules, for what the form does not cover.
  await page.getByText('JSON', { exact: true }).click();
  await expect(page.getByLabel('Rules', { exact: true })).toContainText('"targetModel": "tickets"');
});

test('a connector is created and edited from the UI', async ({ page, adminApi }) => {
  const code = unique('conn');
  await signIn(page, ADMIN_KEY, 'admin');
  await page.getByRole('link', { name: 'Connectors' }).click();
  await page.getByRole('button', { name: 'New connector' }).click();
  const form = page.getByRole('dialog', { name: 'New connector' });
  await form.getByRole('textbox', { name: 'Kind', exact: true }).fill('no-such-kind');
  await form.getByLabel('Code').fill(code);
  await form.getByLabel('Name').fill(`Partner ${code}`);
  await form.getByLabel('Base URL').fill(`${sink.url}/partner`);
  await form.getByRole('textbox', { name: 'Credential 1 key' }).fill('token');
  await form.getByLabel('Credential 1 value').fill('partner-secret-token');
  await expectAccessible(page, 'new connector');
  await form.getByRole('button', { name: 'Create connector' }).click();
  // The API names the kinds it knows, on the Kind field.
  await expect(
    form.getByRole('textbox', { name: 'Kind', exact: true }),
  ).toHaveAccessibleDescription(/no connector kind/);
  await form.getByRole('textbox', { name: 'Kind', exact: true }).fill('generic-http');
  await form.getByRole('button', { name: 'Create connector' }).click();

  await expect(page.getByRole('heading', { level: 2, name: new RegExp(code) })).toBeVisible();
  const connectors = await ok(adminApi.GET('/api/v1/connectors'));
  const stored = connectors.find((c) => c.code === code)!;
  expect(stored).toMatchObject({
    kind: 'generic-http',
    name: `Partner ${code}`,
    baseUrl: `${sink.url}/partner`,
    credentialsSet: true,
    credentialNames: ['token'],
  });
  expect(JSON.stringify(stored)).not.toContain('partner-secret-token');

  await page.getByRole('button', { name: 'Edit', exact: true }).click();
  const edit = page.getByRole('dialog', { name: `Edit ${code}` });
  await edit.getByLabel('Name').fill(`Partner ${code} (renamed)`);
  await expectAccessible(page, 'edit connector');
  await edit.getByRole('button', { name: 'Save connector' }).click();
  await expect(edit).toBeHidden();
  await expect(page.getByRole('heading', { level: 2, name: /renamed/ })).toBeVisible();
  const after = await ok(
    adminApi.GET('/api/v1/connectors/{id}', { params: { path: { id: stored.id } } }),
  );
  // Untouched write-only credentials are kept.
  expect(after).toMatchObject({ name: `Partner ${code} (renamed)`, credentialNames: ['token'] });
});
