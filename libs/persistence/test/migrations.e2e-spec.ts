import type { DataSource } from 'typeorm';
import {
  createDataSource,
  ensureDatabase,
  InitialSchema1732400000000,
  MIGRATIONS,
  prepareDatabase,
  runMigrations,
} from '@app/persistence';
import { databaseUrl, dropDatabase, query, uniqueName } from '../../../test/support/database';

/**
 * Database preparation against a real Postgres: creation, migration, and the advisory lock
 * that lets three apps boot at once. Each test makes (and drops) its own empty database.
 */
const INITIAL = InitialSchema1732400000000.name;
/** Every migration's name, in order (the first is the initial schema). */
const ALL = MIGRATIONS.map((migration) => new migration().name);

describe('database preparation', () => {
  const created: string[] = [];
  const open: DataSource[] = [];

  function freshDatabase(prefix: string): { name: string; url: string } {
    const name = uniqueName(prefix);
    created.push(name);
    return { name, url: databaseUrl(name) };
  }

  afterAll(async () => {
    await Promise.all(open.filter((ds) => ds.isInitialized).map((ds) => ds.destroy()));
    for (const name of created) await dropDatabase(name);
  });

  it('creates the database, applies the migrations once and seeds the default tenant', async () => {
    const { url } = freshDatabase('hg_migrate');
    expect(await ensureDatabase(url)).toBe(true);
    expect(await ensureDatabase(url)).toBe(false);

    const dataSource = await prepareDatabase(url, { applicationName: 'persistence-e2e' });
    open.push(dataSource);

    const migrations = await query<{ name: string }>(url, 'SELECT name FROM migrations');
    expect(migrations.map((m) => m.name)).toEqual(ALL);
    expect(ALL[0]).toBe(INITIAL);
    const tenants = await query<{ name: string; retention_days: number }>(
      url,
      'SELECT name, retention_days FROM tenants',
    );
    expect(tenants).toEqual([{ name: 'default', retention_days: 30 }]);

    const tables = await query<{ table_name: string }>(
      url,
      `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1`,
    );
    expect(tables.map((t) => t.table_name)).toEqual(
      [
        'api_keys',
        'audit_entries',
        'connectors',
        'deliveries',
        'delivery_attempts',
        'delivery_files',
        'handler_rules',
        'handlers',
        'idempotency_keys',
        'inbound_endpoints',
        'inbound_events',
        'migrations',
        'outbound_endpoints',
        'outbound_request_refusals',
        'record_triggers',
        'records',
        'stats_hourly',
        'stats_hourly_breakdowns',
        'stats_rollup_watermarks',
        'tenants',
      ].sort(),
    );

    expect(await runMigrations(dataSource)).toEqual([]);
    expect(await query(url, 'SELECT name FROM migrations')).toHaveLength(ALL.length);
  });

  it('down() removes everything and up() restores it', async () => {
    const { url } = freshDatabase('hg_undo');
    const dataSource = await prepareDatabase(url);
    open.push(dataSource);
    for (let i = 0; i < ALL.length; i++) {
      await dataSource.undoLastMigration({ transaction: 'each' });
    }
    const left = await query(
      url,
      `SELECT 1 FROM information_schema.tables WHERE table_schema = 'public' AND table_name <> 'migrations'`,
    );
    expect(left).toHaveLength(0);
    expect(await runMigrations(dataSource)).toEqual(ALL);
    expect(await query(url, `SELECT 1 FROM tenants WHERE name = 'default'`)).toHaveLength(1);
  });

  it('three apps booting at once: one creates the database, one migrates, none fails', async () => {
    const { url } = freshDatabase('hg_race');
    const creations = await Promise.all([
      ensureDatabase(url),
      ensureDatabase(url),
      ensureDatabase(url),
    ]);
    expect(creations.filter(Boolean)).toHaveLength(1);

    const dataSources = [1, 2, 3].map((n) =>
      createDataSource({ url, poolSize: 2, applicationName: `persistence-e2e-race-${n}` }),
    );
    open.push(...dataSources);
    await Promise.all(dataSources.map((ds) => ds.initialize()));

    const logs: string[] = [];
    const results = await Promise.allSettled(
      dataSources.map((ds) => runMigrations(ds, { logger: { log: (m) => logs.push(m) } })),
    );
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled']);
    const applied = results.map((r) => (r.status === 'fulfilled' ? r.value : null));
    expect(applied.filter((names) => names?.length === ALL.length)).toEqual([ALL]);
    expect(applied.filter((names) => names?.length === 0)).toHaveLength(2);

    const rows = await query<{ name: string }>(url, 'SELECT name FROM migrations');
    expect(rows.map((r) => r.name)).toEqual(ALL);
    expect(await query(url, `SELECT 1 FROM tenants WHERE name = 'default'`)).toHaveLength(1);
    expect(MIGRATIONS).toHaveLength(rows.length);
  });

  it('three prepareDatabase calls on a missing database all succeed', async () => {
    const { url } = freshDatabase('hg_boot');
    const dataSources = await Promise.all(
      [1, 2, 3].map(() => prepareDatabase(url, { poolSize: 1 })),
    );
    open.push(...dataSources);
    expect(await query(url, 'SELECT name FROM migrations')).toHaveLength(ALL.length);
  });

  it('explains a role that may not create databases', async () => {
    const role = uniqueName('hg_nocreatedb');
    const admin = databaseUrl('postgres');
    await query(admin, `CREATE ROLE "${role}" LOGIN NOCREATEDB`);
    try {
      const url = new URL(databaseUrl(uniqueName('hg_never')));
      url.username = role;
      await expect(ensureDatabase(url.toString())).rejects.toThrow(
        /does not exist and the role in DATABASE_URL may not create databases/,
      );
    } finally {
      await query(admin, `DROP ROLE "${role}"`);
    }
  });
});
