import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Client } from 'pg';
import { MIGRATIONS, pendingMigrations, prepareDatabase } from '@app/persistence';
import { adminUrl, databaseUrl, dropDatabase, query, uniqueName } from './support/database';
import { freePort, spawnApp, stopApp, type AppName, type RunningApp } from './support/processes';
import { waitFor } from './support/wait';

/**
 * MIGRATE_ON_BOOT=false (docs/scaling.md): a deploy migrates once with the one-shot
 * `node dist/scripts/migrate.js`, and the apps only check. Each built app, given an empty
 * or missing database, must leave it untouched and refuse to start saying what to run;
 * after the one-shot command has run, the same app starts, is ready, and passes the
 * Docker image's HEALTHCHECK (dist/scripts/healthcheck.js).
 */
jest.setTimeout(120_000);

const run = promisify(execFile);
const MIGRATE_SCRIPT = join(__dirname, '..', 'dist', 'scripts', 'migrate.js');
const HEALTHCHECK_SCRIPT = join(__dirname, '..', 'dist', 'scripts', 'healthcheck.js');
const APPS: AppName[] = ['inbound-gateway', 'admin', 'outbound-dispatcher'];
const ALL = MIGRATIONS.map((migration) => new migration().name);

async function createEmptyDatabase(name: string): Promise<void> {
  const client = new Client({ connectionString: adminUrl() });
  await client.connect();
  try {
    await client.query(`CREATE DATABASE "${name}"`);
  } finally {
    await client.end();
  }
}

async function databaseExists(name: string): Promise<boolean> {
  const rows = await query(adminUrl(), 'SELECT 1 FROM pg_database WHERE datname = $1', [name]);
  return rows.length > 0;
}

async function publicTables(url: string): Promise<string[]> {
  const rows = await query<{ table_name: string }>(
    url,
    `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'`,
  );
  return rows.map((row) => row.table_name);
}

/** Answers the exit code, failing the test if the app is still running after 30 s. */
async function exitCodeOf(app: RunningApp): Promise<number | null> {
  const timeout = new Promise<'running'>((resolve) => setTimeout(() => resolve('running'), 30_000));
  const code = await Promise.race([app.exited, timeout]);
  if (code === 'running') {
    await stopApp(app, 'SIGKILL');
    throw new Error(`the app did not refuse to start; output:\n${app.output()}`);
  }
  return code;
}

describe('MIGRATE_ON_BOOT=false', () => {
  const created: string[] = [];
  const running: RunningApp[] = [];
  const queuePrefix = `${process.env.QUEUE_PREFIX}-mob`;

  function appEnv(url: string): Record<string, string> {
    return {
      DATABASE_URL: url,
      REDIS_URL: process.env.REDIS_URL!,
      QUEUE_PREFIX: queuePrefix,
      HOST: '127.0.0.1',
      ADMIN_API_KEY: 'migrate-on-boot-admin-key-0123',
      MIGRATE_ON_BOOT: 'false',
    };
  }

  afterAll(async () => {
    await Promise.all(running.map((app) => stopApp(app)));
    for (const name of created) await dropDatabase(name);
  });

  it.each(APPS)('%s refuses an unmigrated database and leaves it untouched', async (app) => {
    const name = uniqueName('hg_nomigrate');
    created.push(name);
    await createEmptyDatabase(name);
    const url = databaseUrl(name);

    const child = spawnApp(app, { ...appEnv(url), ...(await portsFor(app)) });
    running.push(child);
    expect(await exitCodeOf(child)).toBe(1);
    expect(child.output()).toContain('the database is not migrated and MIGRATE_ON_BOOT=false');
    expect(child.output()).toContain(`${ALL.length} migration(s) pending`);
    expect(child.output()).toContain('node dist/scripts/migrate.js');
    // Not even TypeORM's migrations table: the app only read.
    expect(await publicTables(url)).toEqual([]);
  });

  it('does not create a missing database either', async () => {
    const name = uniqueName('hg_nodb');
    created.push(name);
    const child = spawnApp('outbound-dispatcher', {
      ...appEnv(databaseUrl(name)),
      ...(await portsFor('outbound-dispatcher')),
    });
    running.push(child);
    expect(await exitCodeOf(child)).toBe(1);
    expect(child.output()).toContain(`database "${name}" does not exist and MIGRATE_ON_BOOT=false`);
    expect(await databaseExists(name)).toBe(false);
  });

  it('starts, ready and healthy for the image healthcheck, once the one-shot migrate has run', async () => {
    const name = uniqueName('hg_premigrated');
    created.push(name);
    const url = databaseUrl(name);
    const { stdout } = await run(process.execPath, [MIGRATE_SCRIPT], {
      env: { PATH: process.env.PATH ?? '', DATABASE_URL: url, NODE_ENV: 'test' },
    });
    expect(stdout).toContain(`database is at: ${ALL.join(', ')}`);

    const ports = await portsFor('inbound-gateway');
    const gateway = spawnApp('inbound-gateway', { ...appEnv(url), ...ports });
    running.push(gateway);
    await waitFor(
      async () => {
        if (gateway.child.exitCode !== null) throw new Error(`exited:\n${gateway.output()}`);
        const res = await fetch(`http://127.0.0.1:${ports.INBOUND_PORT}/health/ready`).catch(
          () => undefined,
        );
        return res?.status === 200 ? true : undefined;
      },
      { timeoutMs: 30_000, what: 'the gateway to be ready' },
    );
    // The image's HEALTHCHECK command, with the app's own port variable.
    const healthcheck = (...args: string[]) =>
      run(process.execPath, [HEALTHCHECK_SCRIPT, ...args], {
        env: { PATH: process.env.PATH ?? '', APP: 'inbound-gateway', ...ports, NODE_ENV: 'test' },
      }).then(
        () => 0,
        (error: { code?: number }) => error.code,
      );
    expect(await healthcheck()).toBe(0);
    expect(await healthcheck('--ready')).toBe(0);
    await stopApp(gateway);
    expect(await healthcheck()).toBe(1);
    expect((await query<{ name: string }>(url, 'SELECT name FROM migrations')).length).toBe(
      ALL.length,
    );
  });

  it('prepareDatabase({ migrate: false }) names exactly the migrations still pending', async () => {
    const name = uniqueName('hg_partial');
    created.push(name);
    const url = databaseUrl(name);
    const migrated = await prepareDatabase(url, { applicationName: 'migrate-on-boot-e2e' });
    const last = ALL[ALL.length - 1];
    await migrated.query('DELETE FROM migrations WHERE name = $1', [last]);
    expect(await pendingMigrations(migrated)).toEqual([last]);
    await migrated.destroy();

    await expect(prepareDatabase(url, { migrate: false })).rejects.toMatchObject({
      name: 'DatabaseNotMigratedError',
      pending: [last],
    });
    // Still one row short: the check applied nothing.
    expect((await query(url, 'SELECT name FROM migrations')).length).toBe(ALL.length - 1);
  });
});

async function portsFor(app: AppName): Promise<Record<string, string>> {
  switch (app) {
    case 'inbound-gateway':
      return { INBOUND_PORT: String(await freePort()) };
    case 'admin':
      return { ADMIN_PORT: String(await freePort()) };
    case 'outbound-dispatcher':
      return { DISPATCHER_PORT: String(await freePort()) };
  }
}
