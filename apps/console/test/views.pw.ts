import { join } from 'node:path';
import type { HookgateClient } from '@app/client';
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
 * Every view, as an admin: it renders, and axe finds no serious or critical violation.
 * With CONSOLE_SCREENSHOTS=1 (`npm run console:screenshots`) it also writes the
 * screenshots in docs/console/.
 */
const VIEWS: Array<{ name: string; path: string; heading: string }> = [
  { name: 'overview', path: '/console/', heading: 'Overview' },
  { name: 'events', path: '/console/events', heading: 'Inbound events' },
  { name: 'deliveries', path: '/console/deliveries', heading: 'Deliveries' },
  { name: 'inbound-endpoints', path: '/console/inbound-endpoints', heading: 'Inbound endpoints' },
  {
    name: 'outbound-endpoints',
    path: '/console/outbound-endpoints',
    heading: 'Outbound endpoints',
  },
  { name: 'handlers', path: '/console/handlers', heading: 'Handlers & rules' },
  { name: 'connectors', path: '/console/connectors', heading: 'Connectors' },
  // The model the processed event below wrote, so its records show the rule's fields.
  { name: 'records', path: '/console/records?model=orders', heading: 'Records' },
  { name: 'record-triggers', path: '/console/record-triggers', heading: 'Record triggers' },
  { name: 'api-keys', path: '/console/api-keys', heading: 'API keys' },
  { name: 'tenants', path: '/console/tenants', heading: 'Tenants' },
  { name: 'audit', path: '/console/audit', heading: 'Audit log' },
];
const SCREENSHOTS = join(__dirname, '..', '..', '..', 'docs', 'console');

async function shoot(page: import('@playwright/test').Page, name: string): Promise<void> {
  if (process.env.CONSOLE_SCREENSHOTS === '1') {
    await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: false });
  }
}

test('the sign-in page is accessible', async ({ page }) => {
  await page.goto('/console/');
  await expect(page.getByLabel('API key')).toBeVisible();
  await expectAccessible(page, 'sign-in');
  await shoot(page, 'sign-in');
});

test('every view renders and passes axe', async ({ page, adminApi }) => {
  await processedEvent(adminApi);
  // A record trigger of its own, so its view shows the table rather than the empty state.
  await ok(
    adminApi.POST('/api/v1/record-triggers', {
      body: {
        code: unique('orders-paid'),
        name: 'Paid orders to the CRM',
        model: 'orders',
        operations: ['created', 'updated'],
        changedFields: ['total'],
      },
    }),
  );
  await signIn(page, ADMIN_KEY, 'admin');
  for (const view of VIEWS) {
    await page.goto(view.path);
    await expect(page.getByRole('heading', { level: 2, name: view.heading })).toBeVisible();
    await expect(page.getByRole('status').filter({ hasText: 'Loading' })).toHaveCount(0);
    await expectAccessible(page, view.name);
    await shoot(page, view.name);
  }
});

/**
 * A processed event of its own, so the event detail (and its screenshot) shows a matched
 * rule with its execution log, whatever ran before.
 */
async function processedEvent(adminApi: HookgateClient): Promise<string> {
  const code = unique('shot');
  await ok(
    adminApi.POST('/api/v1/handlers', {
      body: {
        code,
        name: `Orders ${code}`,
        direction: 'inbound',
        executionMode: 'rules',
        rules: [
          {
            sequence: 10,
            name: 'paid orders',
            action: 'upsert_record',
            targetModel: 'orders',
            conditions: [
              { source: 'payload', path: 'type', operator: '=', value: 'order.paid' },
              { source: 'payload', path: 'order.total', operator: '>', value: 0 },
            ] as never,
            lookups: [{ field: 'id', source: { kind: 'payload', path: 'order.id' } }] as never,
            assignments: [
              { field: 'id', source: { kind: 'payload', path: 'order.id' } },
              { field: 'total', source: { kind: 'payload', path: 'order.total' } },
            ] as never,
          },
          { sequence: 20, name: 'anything else', action: 'dead_letter' },
        ],
      },
    }),
  );
  const path = `shop/${code}`;
  await ok(
    adminApi.POST('/api/v1/inbound-endpoints', {
      body: { name: `Shop ${code}`, path, handler: code },
    }),
  );
  const body = { type: 'order.paid', order: { id: `o-${code}`, total: 42 } };
  let id = '';
  await expect(async () => {
    const res = await fetch(`${inboundUrl()}/webhooks/${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    expect(res.status).toBe(202);
    id = ((await res.json()) as { id: string }).id;
  }).toPass({ timeout: 30_000 });
  await expect(async () => {
    const event = await ok(
      adminApi.GET('/api/v1/inbound-events/{id}', { params: { path: { id } } }),
    );
    expect(event.state).toBe('done');
  }).toPass({ timeout: 30_000 });
  return id;
}

test('detail views, the simulator and the create forms pass axe', async ({ page, adminApi }) => {
  const eventId = await processedEvent(adminApi);
  await signIn(page, ADMIN_KEY, 'admin');
  await page.goto(`/console/events/${eventId}`);
  await expect(page.getByTestId('matched-rule')).toHaveText('paid orders');
  await expect(
    page.getByTestId('execution-log').getByRole('table', { name: 'Conditions of paid orders' }),
  ).toContainText('order.total');
  await expect(page.getByRole('status').filter({ hasText: 'Loading' })).toHaveCount(0);
  await expectAccessible(page, 'event-detail');
  await shoot(page, 'event-detail');
  const details: Array<{ list: string; name: string }> = [
    { list: '/console/deliveries', name: 'delivery-detail' },
    { list: '/console/handlers', name: 'handler-detail' },
    { list: '/console/connectors', name: 'connector-detail' },
  ];
  for (const detail of details) {
    await page.goto(detail.list);
    const link = page.getByRole('table').getByRole('link').first();
    await expect(link).toBeVisible();
    await link.click();
    await expect(page.getByRole('heading', { level: 2 })).toBeVisible();
    await expect(page.getByRole('status').filter({ hasText: 'Loading' })).toHaveCount(0);
    if (detail.name === 'handler-detail') {
      await page.getByRole('button', { name: 'Simulate' }).click();
      await expect(page.getByTestId('simulation')).toBeVisible();
    }
    await expectAccessible(page, detail.name);
    await shoot(page, detail.name);
  }
  await page.goto('/console/inbound-endpoints?create=1');
  await expect(page.getByRole('dialog', { name: 'New inbound endpoint' })).toBeVisible();
  await expectAccessible(page, 'new inbound endpoint');
  await shoot(page, 'new-inbound-endpoint');
  await page.goto('/console/inbound-endpoints');
  await page
    .getByRole('button', { name: /^Edit / })
    .first()
    .click();
  await expect(page.getByRole('dialog', { name: /^Edit / })).toBeVisible();
  await expectAccessible(page, 'edit inbound endpoint');
  await page.goto('/console/record-triggers?create=1');
  await expect(page.getByRole('dialog', { name: 'New record trigger' })).toBeVisible();
  await expectAccessible(page, 'new record trigger');

  // The audit log's before/after diff of a change made by the scenarios above.
  await page.goto('/console/audit?entity=handler&action=handler.create');
  await page
    .getByRole('button', { name: /handler\.create/ })
    .first()
    .click();
  await expect(page.getByRole('table', { name: 'Changed fields' }).first()).toContainText('rules');
  await expectAccessible(page, 'audit entry');
  await shoot(page, 'audit-entry');
});

test('keyboard only: sign in, reach a view from the navigation, open an item', async ({ page }) => {
  await page.goto('/console/');
  // The key field has focus on arrival; Enter submits.
  await expect(page.getByLabel('API key')).toBeFocused();
  await page.keyboard.type(ADMIN_KEY);
  await page.keyboard.press('Enter');
  await expect(page.getByTestId('principal-role')).toHaveText('admin');

  async function tabTo(name: string): Promise<void> {
    for (let i = 0; i < 40; i += 1) {
      await page.keyboard.press('Tab');
      const focused = await page.evaluate(() => document.activeElement?.textContent?.trim());
      if (focused === name) return;
    }
    throw new Error(`Tab never reached “${name}”`);
  }
  await tabTo('Handlers & rules');
  await page.keyboard.press('Enter');
  await expect(page.getByRole('heading', { level: 2, name: 'Handlers & rules' })).toBeVisible();
  await expect(page).toHaveURL(/\/console\/handlers$/);
  const first = await page
    .getByRole('table', { name: 'Handlers' })
    .getByRole('link')
    .first()
    .textContent();
  await tabTo(first!.trim());
  await page.keyboard.press('Enter');
  await expect(page.getByRole('button', { name: 'Simulate' })).toBeVisible();
});
