import { ADMIN_KEY, expect, inboundUrl, ok, signIn, test, unique } from './support/fixtures';

/**
 * The inbound vertical slice, all through the browser: an admin creates a handler with
 * rules and a GitHub endpoint, a webhook signed as GitHub signs it arrives, the operator
 * finds it, reads why its rule matched, and resets an event that was dead-lettered. The
 * simulator explains a match on a pasted payload and writes nothing.
 */
const SECRET = 'console-github-secret';

function rulesJson(model: string): string {
  return JSON.stringify([
    {
      sequence: 10,
      name: 'opened issues',
      action: 'upsert_record',
      targetModel: model,
      conditions: [{ source: 'payload', path: 'action', operator: '=', value: 'opened' }],
      lookups: [{ field: 'number', source: { kind: 'payload', path: 'issue.number' } }],
      assignments: [
        { field: 'number', source: { kind: 'payload', path: 'issue.number' } },
        { field: 'title', source: { kind: 'payload', path: 'issue.title' } },
      ],
    },
    { sequence: 20, name: 'anything else', action: 'dead_letter' },
  ]);
}

async function sendGithub(path: string, body: object, secret = SECRET): Promise<number> {
  // ESM-only (import condition alone): loaded with import() from this CommonJS test.
  const { sign } = await import('@octokit/webhooks-methods');
  const text = JSON.stringify(body);
  const res = await fetch(`${inboundUrl()}/webhooks/${path}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-github-event': 'issues',
      'x-github-delivery': crypto.randomUUID(),
      'x-hub-signature-256': await sign(secret, text),
    },
    body: text,
  });
  return res.status;
}

test('an admin sets up GitHub in the UI; the signed webhook is found, explained and reset', async ({
  page,
  adminApi,
}) => {
  const code = unique('gh');
  const model = `issues_${code.replace(/-/g, '_')}`;
  const path = `github/${code}`;
  await signIn(page, ADMIN_KEY, 'admin');

  // A handler with two ordered rules, through the rule editor.
  await page.getByRole('link', { name: 'Handlers & rules' }).click();
  await page.getByRole('button', { name: 'New handler' }).click();
  const drawer = page.getByRole('dialog', { name: 'New handler' });
  await drawer.getByLabel('Code').fill(code);
  await drawer.getByRole('textbox', { name: 'Name', exact: true }).fill(`GitHub ${code}`);
  // The rules as JSON (the form's advanced tab): the form itself is tested in forms.pw.ts.
  await drawer.getByText('JSON', { exact: true }).click();
  await drawer.getByLabel('Rules (tried in sequence order)').fill(rulesJson(model));
  await drawer.getByRole('button', { name: 'Create handler' }).click();
  await expect(page.getByRole('heading', { name: `GitHub ${code}` })).toBeVisible();

  // The endpoint, with the GitHub preset; the API's own validation shows on the field.
  await page.getByRole('link', { name: 'Inbound endpoints' }).click();
  await page.getByRole('button', { name: 'New inbound endpoint' }).click();
  const form = page.getByRole('dialog', { name: 'New inbound endpoint' });
  await form.getByLabel('Name').fill(`GitHub ${code}`);
  await form.getByRole('textbox', { name: 'Path', exact: true }).fill('not a valid path!');
  await form.getByRole('combobox', { name: 'Handler' }).click();
  await page.getByRole('option', { name: new RegExp(code) }).click();
  await form.getByLabel('Signing secret').fill(SECRET);
  await form.getByRole('button', { name: 'Create endpoint' }).click();
  await expect(
    form.getByText(/path/i).and(form.locator('.mantine-InputWrapper-error')),
  ).toBeVisible();
  await form.getByRole('textbox', { name: 'Path', exact: true }).fill(path);
  await form.getByRole('button', { name: 'Create endpoint' }).click();
  await expect(form).toBeHidden();
  await expect(page.getByRole('cell', { name: `/webhooks/${path}` })).toBeVisible();

  // Two webhooks: one the first rule writes, one the catch-all dead-letters.
  await expect
    .poll(() => sendGithub(path, { action: 'opened', issue: { number: 7, title: 'Hello' } }))
    .toBe(202);
  expect(await sendGithub(path, { action: 'closed', issue: { number: 7 } })).toBe(202);

  // The list, filtered by this endpoint (a deep link) and by state.
  await page.getByRole('link', { name: 'Inbound events' }).click();
  await page.getByRole('combobox', { name: 'Endpoint' }).click();
  await page.getByRole('option', { name: path }).click();
  await expect(page).toHaveURL(/endpoint=/);
  await expect(async () => {
    await page.reload();
    await expect(page.getByRole('cell', { name: 'opened issues' })).toBeVisible({ timeout: 1000 });
    await expect(page.getByRole('cell', { name: 'anything else' })).toBeVisible({ timeout: 1000 });
  }).toPass({ timeout: 30_000 });

  // The detail: the matched rule and the execution log, condition by condition.
  await page.getByRole('row').filter({ hasText: 'opened issues' }).getByRole('link').click();
  await expect(page.getByTestId('matched-rule')).toHaveText('opened issues');
  const log = page.getByTestId('execution-log');
  await expect(log.getByRole('table', { name: 'Conditions of opened issues' })).toContainText(
    'payload:action',
  );
  await expect(log.getByRole('table', { name: 'Conditions of opened issues' })).toContainText(
    'opened',
  );
  await expect(log.getByText('Records written')).toBeVisible();
  await page.getByRole('tab', { name: 'Headers' }).click();
  await expect(page.getByLabel('Request headers')).toContainText('x-github-event');
  await page.getByRole('tab', { name: 'Raw body' }).click();
  await expect(page.getByLabel('Body as received')).toContainText('"title":"Hello"');

  // The record the rule wrote is there.
  const records = await ok(
    adminApi.GET('/api/v1/records/{model}', { params: { path: { model } } }),
  );
  expect(records.items).toHaveLength(1);
  await page.goto(`/console/records?model=${model}`);
  await expect(page.getByRole('table', { name: `Records of ${model}` })).toContainText(
    '"title": "Hello"',
  );
  // Picked from the API's list of models, the records show the fields the rule assigns.
  await page.goto('/console/records');
  await page.getByRole('combobox', { name: 'Model' }).click();
  await page.getByRole('option', { name: model, exact: true }).click();
  await expect(page).toHaveURL(new RegExp(`[?&]model=${model}`));
  await expect(page.getByTestId('model-fields')).toHaveText('Fields: number, title');
  const table = page.getByRole('table', { name: `Records of ${model}` });
  await expect(table.getByRole('columnheader', { name: 'title', exact: true })).toBeVisible();
  await expect(table.getByRole('cell', { name: 'Hello', exact: true })).toBeVisible();

  // The dead-lettered one, found with a state filter from the URL, is reset.
  await page.goto(`/console/events?state=dead_letter&q=`);
  await page.getByRole('combobox', { name: 'Endpoint' }).click();
  await page.getByRole('option', { name: path }).click();
  await page.getByRole('row').filter({ hasText: 'anything else' }).getByRole('link').click();
  await expect(page.getByText('dead letter').first()).toBeVisible();
  await page.getByRole('button', { name: 'Reset' }).click();
  await expect(
    page.getByRole('status').filter({ hasText: 'the event is now received' }),
  ).toBeVisible();
  // Reset queued it again: the worker processes it once more (and its rule dead-letters it).
  await expect(async () => {
    await page.reload();
    await expect(page.getByText('Attempts').locator('xpath=following-sibling::*[1]')).toHaveText(
      '2',
      { timeout: 1000 },
    );
  }).toPass({ timeout: 30_000 });

  // A webhook signed with another secret is refused; its detail says why, with its code.
  expect(await sendGithub(path, { action: 'opened' }, 'not-the-secret')).toBe(401);
  await page.goto(`/console/events?state=rejected&q=`);
  await page.getByRole('combobox', { name: 'Endpoint' }).click();
  await page.getByRole('option', { name: path }).click();
  const rejectedRow = page.getByRole('row').filter({ hasText: 'rejected' });
  await expect(async () => {
    await page.reload();
    await expect(rejectedRow).toHaveCount(1, { timeout: 1000 });
  }).toPass({ timeout: 30_000 });
  await rejectedRow.getByRole('link').click();
  await expect(
    page.getByRole('alert').filter({ hasText: 'Rejected: signature_invalid' }),
  ).toBeVisible();
});

test('the simulator explains a match on a pasted payload and writes nothing', async ({
  page,
  adminApi,
}) => {
  const code = unique('sim');
  const model = `sim_${code.replace(/-/g, '_')}`;
  const handler = await ok(
    adminApi.POST('/api/v1/handlers', {
      body: {
        code,
        name: `Sim ${code}`,
        direction: 'inbound',
        executionMode: 'rules',
        rules: JSON.parse(rulesJson(model)),
      },
    }),
  );
  await signIn(page, ADMIN_KEY, 'admin');
  await page.goto(`/console/handlers/${handler.id}`);
  await page
    .getByLabel('Payload')
    .fill(JSON.stringify({ action: 'opened', issue: { number: 99, title: 'Sim' } }));
  await page.getByRole('button', { name: 'Simulate' }).click();
  const result = page.getByTestId('simulation');
  await expect(result.getByText('opened issues').first()).toBeVisible();
  await expect(result.getByText('upsert_record').first()).toBeVisible();
  await expect(result.getByRole('table', { name: 'Conditions of opened issues' })).toContainText(
    'true',
  );
  const records = await ok(
    adminApi.GET('/api/v1/records/{model}', { params: { path: { model } } }),
  );
  expect(records.items).toHaveLength(0);
});

test('an admin rotates an endpoint secret in the UI: the secondary secret verifies at once', async ({
  page,
  adminApi,
}) => {
  const code = unique('rot');
  await ok(
    adminApi.POST('/api/v1/handlers', {
      body: { code, name: code, direction: 'inbound', executionMode: 'rules', rules: [] },
    }),
  );
  const path = `github/${code}`;
  await ok(
    adminApi.POST('/api/v1/inbound-endpoints', {
      body: {
        name: `Rotating ${code}`,
        path,
        handler: code,
        signature: { mode: 'hmac', preset: 'github', secret: SECRET },
      },
    }),
  );
  const next = 'the-next-github-secret';
  await expect.poll(() => sendGithub(path, { zen: 'before' })).toBe(202);
  expect(await sendGithub(path, { zen: 'not yet' }, next)).toBe(401);

  await signIn(page, ADMIN_KEY, 'admin');
  await page.goto('/console/inbound-endpoints');
  await page.getByRole('button', { name: `Edit Rotating ${code}` }).click();
  const form = page.getByRole('dialog', { name: `Edit Rotating ${code}` });
  await expect(form.getByText('A secret is set. Leave empty to keep it.')).toBeVisible();
  await form.getByLabel('Secondary secret (rotation)').fill(next);
  await form.getByRole('button', { name: 'Save' }).click();
  await expect(form).toBeHidden();

  await expect.poll(() => sendGithub(path, { zen: 'after' }, next)).toBe(202);
  expect(await sendGithub(path, { zen: 'old still works' })).toBe(202);
  expect(await sendGithub(path, { zen: 'wrong' }, 'some-other-secret')).toBe(401);
});
