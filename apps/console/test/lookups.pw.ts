import type { HookgateClient } from '@app/client';
import { ADMIN_KEY, expect, inboundUrl, ok, signIn, test, unique } from './support/fixtures';

/**
 * Finding things an operator is asked about, and knowing what a bulk action will do: a
 * delivery by its idempotency key, the deliveries an event forwarded, the number of events
 * a bulk reprocess will touch before it runs, and a stored event as the simulator's input.
 */

async function draftOutbound(adminApi: HookgateClient, code: string): Promise<void> {
  await ok(
    adminApi.POST('/api/v1/outbound-endpoints', {
      body: { code, name: code, state: 'draft', targetHost: 'http://127.0.0.1:9', targetPath: '/' },
    }),
  );
}

async function inboundWith(
  adminApi: HookgateClient,
  code: string,
  rules: unknown[],
): Promise<{ id: string; path: string }> {
  await ok(
    adminApi.POST('/api/v1/handlers', {
      body: {
        code,
        name: code,
        direction: 'inbound',
        executionMode: 'rules',
        rules: rules as never,
      },
    }),
  );
  const endpoint = await ok(
    adminApi.POST('/api/v1/inbound-endpoints', {
      body: { name: code, path: `console/${code}`, handler: code },
    }),
  );
  return { id: endpoint.id, path: endpoint.path };
}

/** Posts a webhook (retrying while the gateway's endpoint cache has not seen it yet). */
async function send(
  path: string,
  body: object,
  headers: Record<string, string> = {},
): Promise<string> {
  let id: string | undefined;
  await expect
    .poll(
      async () => {
        const res = await fetch(`${inboundUrl()}/webhooks/${path}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...headers },
          body: JSON.stringify(body),
        });
        if (res.status === 202) id = ((await res.json()) as { id: string }).id;
        return res.status;
      },
      { timeout: 30_000 },
    )
    .toBe(202);
  return id!;
}

test('the idempotency-key filter finds a delivery, and the filter is in the URL', async ({
  page,
  adminApi,
}) => {
  const code = unique('idem');
  await draftOutbound(adminApi, code);
  const key = `${code}-order-42`;
  const wanted = await ok(
    adminApi.POST('/api/v1/deliveries', {
      body: { endpoint: code, payload: { order: 42 } as never, idempotencyKey: key },
    }),
  );
  // Without `?wait=` the answer is the stored delivery (202), never an attempt's outcome.
  if (!('id' in wanted)) throw new Error('expected the stored delivery');
  await ok(
    adminApi.POST('/api/v1/deliveries', {
      body: { endpoint: code, payload: { order: 43 } as never, idempotencyKey: `${key}-b` },
    }),
  );

  await signIn(page, ADMIN_KEY, 'admin');
  await page.goto('/console/deliveries');
  await page.getByRole('textbox', { name: 'Idempotency key' }).fill(key);
  await page.getByRole('button', { name: 'Apply' }).click();
  await expect(page).toHaveURL(new RegExp(`idempotencyKey=${key}`));
  const table = page.getByRole('table', { name: 'Deliveries' });
  await expect(table.getByRole('link')).toHaveCount(1);
  await table.getByRole('link').click();
  await expect(page).toHaveURL(new RegExp(`/deliveries/${wanted.id}`));
  await expect(page.getByText(key, { exact: true })).toBeVisible();

  // The URL alone reopens the filtered list.
  await page.goto(`/console/deliveries?idempotencyKey=${encodeURIComponent(key)}`);
  await expect(page.getByRole('table', { name: 'Deliveries' }).getByRole('link')).toHaveCount(1);
  await expect(page.getByRole('textbox', { name: 'Idempotency key' })).toHaveValue(key);
});

test('the bulk reprocess confirmation says how many events it will reprocess', async ({
  page,
  adminApi,
}) => {
  const code = unique('bulkre');
  const endpoint = await inboundWith(adminApi, code, [
    { sequence: 10, name: 'drop everything', action: 'dead_letter' },
  ]);
  await send(endpoint.path, { n: 1 });
  await send(endpoint.path, { n: 2 });
  await expect
    .poll(
      async () =>
        (
          await ok(
            adminApi.GET('/api/v1/inbound-events', {
              params: { query: { endpoint: endpoint.id, state: 'dead_letter' } },
            }),
          )
        ).items.length,
      { timeout: 30_000 },
    )
    .toBe(2);

  await signIn(page, ADMIN_KEY, 'admin');
  await page.goto(`/console/events?state=dead_letter&endpoint=${endpoint.id}`);
  await page.getByRole('button', { name: 'Reprocess matching events' }).click();
  const dialog = page.getByRole('dialog', { name: 'Reprocess events' });
  await expect(dialog.getByTestId('reprocess-count')).toHaveText('This will reprocess 2 events.');
  // Counting changed nothing.
  const still = await ok(
    adminApi.GET('/api/v1/inbound-events', {
      params: { query: { endpoint: endpoint.id, state: 'dead_letter' } },
    }),
  );
  expect(still.items).toHaveLength(2);
  await dialog.getByRole('button', { name: 'Reprocess', exact: true }).click();
  await expect(dialog.getByRole('status')).toHaveText('2 event(s) queued.');
});

test('an event’s detail lists the delivery it forwarded, with a link to it', async ({
  page,
  adminApi,
}) => {
  const code = unique('fwd');
  await draftOutbound(adminApi, code);
  const endpoint = await inboundWith(adminApi, code, [
    {
      sequence: 10,
      name: 'forward orders',
      action: 'forward',
      forwardTo: code,
      assignments: [{ field: 'order', source: { kind: 'payload', path: 'id' } }],
    },
  ]);
  const eventId = await send(endpoint.path, { id: 'A-7' });

  await signIn(page, ADMIN_KEY, 'admin');
  await page.goto(`/console/events/${eventId}`);
  const forwarded = page.getByRole('table', { name: 'Deliveries forwarded' });
  // The worker forwards it in the background: reload until the event is processed.
  await expect(async () => {
    await page.reload();
    await expect(forwarded.getByRole('link')).toHaveCount(1, { timeout: 1000 });
  }).toPass({ timeout: 30_000 });
  await expect(forwarded).toContainText(code);
  await forwarded.getByRole('link').click();
  await expect(page).toHaveURL(/\/console\/deliveries\/[0-9a-f-]{36}$/);
  await expect(page.getByRole('link', { name: eventId.slice(-12) })).toHaveAttribute(
    'href',
    new RegExp(`/events/${eventId}$`),
  );
  await expect(page.getByLabel('Payload')).toContainText('"order": "A-7"');
});

test('the simulator takes a stored event as its input', async ({ page, adminApi }) => {
  const code = unique('simev');
  const endpoint = await inboundWith(adminApi, code, [
    {
      sequence: 10,
      name: 'tagged openings',
      action: 'done',
      conditions: [
        { source: 'payload', path: 'action', operator: '=', value: 'opened' },
        { source: 'headers', path: 'x-console-tag', operator: '=', value: 'stored' },
      ],
    },
    { sequence: 20, name: 'anything else', action: 'dead_letter' },
  ]);
  const eventId = await send(endpoint.path, { action: 'opened' }, { 'x-console-tag': 'stored' });
  const handler = (await ok(adminApi.GET('/api/v1/handlers'))).find((h) => h.code === code)!;

  await signIn(page, ADMIN_KEY, 'admin');
  await page.goto(`/console/handlers/${handler.id}`);
  await page.getByRole('textbox', { name: 'Stored event id' }).fill(eventId);
  await page.getByRole('button', { name: 'Load event' }).click();
  await expect(page).toHaveURL(new RegExp(`event=${eventId}`));
  await expect(page.getByTestId('simulator-stored-event')).toContainText(eventId);
  await expect(page.getByRole('textbox', { name: 'Headers' })).toHaveValue(/x-console-tag/);
  await page.getByRole('button', { name: 'Simulate' }).click();
  const result = page.getByTestId('simulation');
  // Both conditions hold only with the stored event's payload and its header.
  await expect(result.getByText('tagged openings').first()).toBeVisible();
});
