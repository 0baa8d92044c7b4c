import type { INestApplication } from '@nestjs/common';
import { startAdminApp } from '../../../test/support/harness';
import { ApiKeyBootstrap1764530000001, prepareDatabase } from '@app/persistence';
import { databaseUrl, dropDatabase, query, uniqueName } from '../../../test/support/database';

/**
 * ADMIN_API_KEY is the bootstrap key, and only the current value is (issue 21, item 10):
 * an admin started with a new value revokes the old key (audited), on the same database.
 * A database of its own: this test retires keys, which would retire the suite's key.
 */
const KEY_A = 'key-a-bootstrap-0123456789abcdef';
const KEY_B = 'key-b-bootstrap-0123456789abcdef';

describe('changing ADMIN_API_KEY retires the previous bootstrap key', () => {
  const database = uniqueName('hg_bootstrap_key');
  const url = databaseUrl(database);
  let app: INestApplication | undefined;
  let base = '';

  async function startAdmin(key: string): Promise<void> {
    await app?.close();
    ({ app, url: base } = await startAdminApp({
      DATABASE_URL: url,
      LOG_LEVEL: 'error',
      ADMIN_API_KEY: key,
    }));
  }

  async function call(key: string, path = '/api-keys', method = 'GET', body?: unknown) {
    const res = await fetch(`${base}/api/v1${path}`, {
      method,
      headers: {
        authorization: `Bearer ${key}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : null };
  }

  afterAll(async () => {
    await app?.close();
    await dropDatabase(database);
  });

  it('A works, then after a start with B: A gets 401, B works, and the revocation is audited', async () => {
    await startAdmin(KEY_A);
    expect((await call(KEY_A)).status).toBe(200);

    await startAdmin(KEY_B);
    expect((await call(KEY_A)).status).toBe(401);
    const keys = await call(KEY_B);
    expect(keys.status).toBe(200);
    const byPrefix = (prefix: string) =>
      (keys.body.items ?? keys.body).find((k: { prefix: string }) => k.prefix === prefix);
    const keyA = byPrefix(KEY_A.slice(0, 8));
    expect(keyA.revokedAt).not.toBeNull();
    expect(byPrefix(KEY_B.slice(0, 8)).revokedAt).toBeNull();

    const audit = await call(KEY_B, `/audit?entityId=${keyA.id}`);
    expect(audit.status).toBe(200);
    const entries = audit.body.items as Array<{ action: string; actor: string; after: any }>;
    expect(entries.map((e) => [e.action, e.actor])).toEqual([['api-key.revoke', 'system']]);
    expect(entries[0].after.revokedReason).toBe('ADMIN_API_KEY changed');

    // A restart with the same key changes nothing.
    await startAdmin(KEY_B);
    expect((await call(KEY_A)).status).toBe(401);
    expect((await call(KEY_B)).status).toBe(200);
  });

  it('configuring an earlier key again makes it the one valid key; an operator revocation is final', async () => {
    await startAdmin(KEY_A);
    expect((await call(KEY_A)).status).toBe(200);
    expect((await call(KEY_B)).status).toBe(401);

    // An operator revokes A (after making another admin key): A stays revoked at the next
    // start with A, and B (retired by the variable, not configured) stays revoked too.
    const spare = await call(KEY_A, '/api-keys', 'POST', { name: 'spare', role: 'admin' });
    expect(spare.status).toBe(201);
    const [rowA] = await query<{ id: string }>(
      url,
      `SELECT id FROM api_keys WHERE key_prefix = $1 AND bootstrap`,
      [KEY_A.slice(0, 8)],
    );
    expect((await call(spare.body.key, `/api-keys/${rowA.id}`, 'DELETE')).status).toBe(200);
    await startAdmin(KEY_A);
    expect((await call(KEY_A)).status).toBe(401);
    expect((await call(KEY_B)).status).toBe(401);
    expect((await call(spare.body.key)).status).toBe(200);
  });

  it('the migration marks the bootstrap keys of earlier versions, and only them', async () => {
    const legacy = uniqueName('hg_bootstrap_legacy');
    const legacyUrl = databaseUrl(legacy);
    const dataSource = await prepareDatabase(legacyUrl, { poolSize: 1 });
    const runner = dataSource.createQueryRunner();
    try {
      const migration = new ApiKeyBootstrap1764530000001();
      await migration.down(runner);
      // As ensureBootstrapKey wrote it (8-character prefix), and an API key named the same.
      await runner.query(
        `INSERT INTO api_keys (tenant_id, name, role, key_hash, key_prefix)
         SELECT id, 'bootstrap (ADMIN_API_KEY)', 'admin', 'h1', 'key-a-bo' FROM tenants WHERE name = 'default'
         UNION ALL
         SELECT id, 'bootstrap (ADMIN_API_KEY)', 'admin', 'h2', 'hgk_0123abcd' FROM tenants WHERE name = 'default'`,
      );
      await migration.up(runner);
      const rows = await runner.query(`SELECT key_hash, bootstrap FROM api_keys ORDER BY key_hash`);
      expect(rows).toEqual([
        { key_hash: 'h1', bootstrap: true },
        { key_hash: 'h2', bootstrap: false },
      ]);
    } finally {
      await runner.release();
      await dataSource.destroy();
      await dropDatabase(legacy);
    }
  });
});
