import { ADMIN_KEY, expect, ok, signIn, test, unique } from './support/fixtures';

/**
 * Record triggers from the browser: an admin creates one, edits it (an API validation
 * answer shows on the field it names), and deletes it, each step checked against the API;
 * an operator sees the list without a control that changes it.
 */
test('an admin creates, edits and deletes a record trigger', async ({ page, adminApi }) => {
  const code = unique('trigger');
  const model = code.replace(/-/g, '_');
  const stored = async () =>
    (await ok(adminApi.GET('/api/v1/record-triggers'))).find((t) => t.code === code);
  await signIn(page, ADMIN_KEY, 'admin');
  await page.getByRole('link', { name: 'Record triggers' }).click();
  await expect(page.getByRole('heading', { level: 2, name: 'Record triggers' })).toBeVisible();

  await page.getByRole('button', { name: 'New record trigger' }).click();
  const create = page.getByRole('dialog', { name: 'New record trigger' });
  await create.getByLabel('Code').fill(code);
  await create.getByLabel('Name').fill(`Issues ${code}`);
  await create.getByLabel('Model').fill(model);
  await create.getByLabel('Changed fields').fill('title');
  await create.getByLabel('Changed fields').press('Enter');
  await create.getByRole('button', { name: 'Create trigger' }).click();
  await expect(create).toBeHidden();
  const row = page.getByRole('row').filter({ hasText: code });
  await expect(row).toContainText(`record.${model}.created`);
  await expect(row).toContainText(`record.${model}.updated`);
  await expect(row).toContainText('updates of title');
  expect(await stored()).toMatchObject({
    model,
    operations: ['created', 'updated'],
    changedFields: ['title'],
    conditions: [],
    eventType: null,
    active: true,
  });

  // Edit: an event type the API refuses shows its message on that field; nothing is saved.
  await row.getByRole('button', { name: `Edit ${code}` }).click();
  const edit = page.getByRole('dialog', { name: 'Edit record trigger' });
  await expect(page).toHaveURL(/edit=/);
  const eventType = edit.getByLabel('Event type');
  await eventType.fill('crm.*');
  await edit.getByLabel('deleted').check();
  await edit.getByRole('button', { name: 'Save trigger' }).click();
  await expect(eventType).toHaveAttribute('aria-invalid', 'true');
  await expect(eventType).toHaveAccessibleDescription(/eventType is dot-separated words/);
  expect((await stored())?.eventType).toBeNull();

  await eventType.fill('crm.issue.changed');
  await edit.getByLabel('Active').uncheck();
  await edit.getByRole('button', { name: 'Save trigger' }).click();
  await expect(edit).toBeHidden();
  await expect(row).toContainText('crm.issue.changed');
  await expect(row).toContainText('inactive');
  expect(await stored()).toMatchObject({
    operations: ['created', 'updated', 'deleted'],
    eventType: 'crm.issue.changed',
    publishes: ['crm.issue.changed'],
    active: false,
  });

  // Delete, after a confirmation; Cancel keeps it.
  await row.getByRole('button', { name: `Delete ${code}` }).click();
  const confirm = page.getByRole('dialog', { name: 'Delete record trigger' });
  await confirm.getByRole('button', { name: 'Cancel' }).click();
  await expect(confirm).toBeHidden();
  expect(await stored()).toBeDefined();
  await row.getByRole('button', { name: `Delete ${code}` }).click();
  await confirm.getByRole('button', { name: 'Delete', exact: true }).click();
  await expect(confirm).toBeHidden();
  await expect(row).toHaveCount(0);
  expect(await stored()).toBeUndefined();
});

test('an operator sees the record triggers but no control that changes them', async ({
  page,
  adminApi,
}) => {
  const operator = await ok(
    adminApi.POST('/api/v1/api-keys', { body: { name: unique('operator'), role: 'operator' } }),
  );
  const trigger = await ok(
    adminApi.POST('/api/v1/record-triggers', {
      body: {
        code: unique('watched'),
        name: 'Watched by an operator',
        model: 'orders',
        operations: ['deleted'],
      },
    }),
  );
  await signIn(page, operator.key, 'operator');
  await page.getByRole('link', { name: 'Record triggers' }).click();
  const row = page.getByRole('row').filter({ hasText: trigger.code });
  await expect(row).toContainText('record.orders.deleted');
  await expect(page.getByRole('button', { name: 'New record trigger' })).toHaveCount(0);
  await expect(page.getByRole('button', { name: /^(Edit|Delete) / })).toHaveCount(0);
  await expect(page.getByRole('columnheader', { name: 'Actions' })).toHaveCount(0);
  // Deep links to the drawers open nothing for an operator.
  await page.goto('/console/record-triggers?create=1');
  await expect(page.getByRole('heading', { level: 2, name: 'Record triggers' })).toBeVisible();
  await expect(page.getByRole('dialog')).toHaveCount(0);
  await page.goto(`/console/record-triggers?edit=${trigger.id}`);
  await expect(row).toBeVisible();
  await expect(page.getByRole('dialog')).toHaveCount(0);
});
