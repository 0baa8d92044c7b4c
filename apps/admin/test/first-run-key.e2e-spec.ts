import { prepareDatabase } from '@app/persistence';
import { ensureFirstRunKey, FIRST_RUN_KEY_NAME } from '../src/auth/bootstrap-key';
import { freePort, spawnApp, stopApp, type RunningApp } from '../../../test/support/processes';
import { databaseUrl, dropDatabase, query, uniqueName } from '../../../test/support/database';
import { waitFor } from '../../../test/support/wait';

/**
 * The first run (issue 25): the built admin app, started on an empty database without
 * ADMIN_API_KEY outside production, creates an admin key, stores it hashed and prints it
 * once with the console and API URLs; the printed key works; a second start prints
 * nothing; admins starting together create one key; production creates none and says how
 * to set one. Each case on a database of its own.
 */
jest.setTimeout(120_000);

const KEY_LINE = /export ADMIN_API_KEY=(\S+)/g;

describe('first run without ADMIN_API_KEY', () => {
  const databases: string[] = [];
  let running: RunningApp[] = [];

  function freshDatabase(): string {
    const name = uniqueName('hg_first_run');
    databases.push(name);
    return databaseUrl(name);
  }

  async function startAdmin(
    url: string,
    env: Record<string, string> = {},
  ): Promise<{ app: RunningApp; base: string }> {
    const port = await freePort();
    const app = spawnApp('admin', {
      DATABASE_URL: url,
      REDIS_URL: process.env.REDIS_URL!,
      QUEUE_PREFIX: `${process.env.QUEUE_PREFIX}_firstrun`,
      HOST: '127.0.0.1',
      ADMIN_PORT: String(port),
      NODE_ENV: 'development',
      ...env,
    });
    running.push(app);
    const base = `http://127.0.0.1:${port}`;
    await waitFor(
      async () => ((await fetch(`${base}/health/ready`)).status === 200 ? true : undefined),
      { timeoutMs: 60_000, what: `admin on ${port}: ${app.output()}` },
    );
    return { app, base };
  }

  /** The printed keys; the banner is written right after listen, before /health answers. */
  const printedKeys = (app: RunningApp): string[] =>
    [...app.output().matchAll(KEY_LINE)].map((match) => match[1]);

  const me = (base: string, key: string) =>
    fetch(`${base}/api/v1/me`, { headers: { authorization: `Bearer ${key}` } });

  afterEach(async () => {
    await Promise.all(running.map((app) => stopApp(app)));
    running = [];
  });

  afterAll(async () => {
    for (const name of databases) await dropDatabase(name);
  });

  it('prints a working key once with the console and API URLs; a second start prints nothing', async () => {
    const url = freshDatabase();
    const first = await startAdmin(url);
    const keys = printedKeys(first.app);
    expect(keys).toHaveLength(1);
    expect(first.app.output()).toContain(`${first.base}/console`);
    expect(first.app.output()).toContain(`${first.base}/api/v1`);
    const res = await me(first.base, keys[0]);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ role: 'admin' });

    // Stored hashed: the key itself is nowhere in the row.
    const rows = await query<{ name: string; key_hash: string; bootstrap: boolean }>(
      url,
      `SELECT name, key_hash, bootstrap FROM api_keys`,
    );
    expect(rows).toEqual([
      { name: FIRST_RUN_KEY_NAME, key_hash: expect.any(String), bootstrap: true },
    ]);
    expect(rows[0].key_hash).not.toContain(keys[0]);
    await stopApp(first.app);

    const second = await startAdmin(url);
    expect(printedKeys(second.app)).toEqual([]);
    expect(second.app.output()).not.toContain('first run');
    expect((await me(second.base, keys[0])).status).toBe(200);
    expect(await query(url, `SELECT id FROM api_keys`)).toHaveLength(1);
    await stopApp(second.app);

    // Configuring ADMIN_API_KEY later retires the generated key.
    const configured = 'configured-admin-key-0123456789';
    const third = await startAdmin(url, { ADMIN_API_KEY: configured });
    expect(printedKeys(third.app)).toEqual([]);
    expect((await me(third.base, keys[0])).status).toBe(401);
    expect((await me(third.base, configured)).status).toBe(200);
  });

  it('admins starting together on an empty database create one key, printed by one of them', async () => {
    const url = freshDatabase();
    // Migrated first, so the starts race on the key, not on creating the database.
    const dataSource = await prepareDatabase(url, { poolSize: 8 });
    try {
      const outcomes = await Promise.all(
        Array.from({ length: 8 }, () =>
          ensureFirstRunKey(dataSource, { configuredKey: undefined, production: false }),
        ),
      );
      expect(outcomes.filter((o) => o.kind === 'created')).toHaveLength(1);
      expect(outcomes.filter((o) => o.kind === 'present')).toHaveLength(7);
    } finally {
      await dataSource.destroy();
    }
    expect(await query(url, `SELECT id FROM api_keys`)).toHaveLength(1);

    // And as processes, on a second empty database.
    const url2 = freshDatabase();
    const admins = await Promise.all([startAdmin(url2), startAdmin(url2), startAdmin(url2)]);
    const printed = admins.flatMap(({ app }) => printedKeys(app));
    expect(printed).toHaveLength(1);
    expect(await query(url2, `SELECT id FROM api_keys`)).toHaveLength(1);
    for (const { base } of admins) expect((await me(base, printed[0])).status).toBe(200);
  });

  it('in production creates no key and logs how to set one', async () => {
    const url = freshDatabase();
    const { app } = await startAdmin(url, {
      NODE_ENV: 'production',
      SECRETS_KEY: 'MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=',
    });
    await waitFor(() => (app.output().includes('ADMIN_API_KEY is unset') ? true : undefined), {
      what: `the no-key log line: ${app.output()}`,
    });
    expect(app.output()).toContain('Set ADMIN_API_KEY');
    expect(printedKeys(app)).toEqual([]);
    expect(await query(url, `SELECT id FROM api_keys`)).toEqual([]);
  });
});
