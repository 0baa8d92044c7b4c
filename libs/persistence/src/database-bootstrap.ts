import { Client, type ClientConfig } from 'pg';
import type { DataSource } from 'typeorm';
import { createDataSource } from './data-source';
import type { DataSourceSettings } from './pg-pool';
import {
  DatabaseAdminSession,
  MIGRATION_LOCK_KEY,
  MigrationsRepository,
  quoteIdentifier,
} from './repositories/database-admin.repository';

/**
 * Getting a database ready at boot: create it when missing, then apply pending migrations
 * under a Postgres advisory lock, so the three apps (or several replicas) starting at once
 * never race. Every app calls `prepareDatabase` before Nest starts; with MIGRATE_ON_BOOT=false
 * it only checks the schema, and a separate one-shot `dist/scripts/migrate.js` migrates.
 */

export interface MigrationLogger {
  log(message: string): void;
}

export interface RunMigrationsOptions {
  logger?: MigrationLogger;
  /** Give up waiting for another process's migration run after this long. Default 10 min. */
  lockTimeoutMs?: number;
}

export type PrepareDatabaseOptions = Omit<DataSourceSettings, 'url'> &
  RunMigrationsOptions & {
    /**
     * false (MIGRATE_ON_BOOT=false): neither create the database nor migrate it, only check
     * that a separate migrate step already did, and refuse to start otherwise. Default true.
     */
    migrate?: boolean;
  };

/** The one-shot command that migrates when the apps do not (works in the Docker image). */
export const MIGRATE_COMMAND = 'node dist/scripts/migrate.js (npm run migrate:built)';

/** Refused boot: MIGRATE_ON_BOOT=false and the database is missing or behind the code. */
export class DatabaseNotMigratedError extends Error {
  constructor(
    message: string,
    readonly pending: readonly string[],
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'DatabaseNotMigratedError';
  }
}

const DUPLICATE_DATABASE = '42P04';
const UNIQUE_VIOLATION = '23505';
const INVALID_CATALOG_NAME = '3D000';
const INSUFFICIENT_PRIVILEGE = '42501';

function pgCode(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && 'code' in error
    ? String((error as { code: unknown }).code)
    : undefined;
}

function databaseNameOf(url: string): string {
  const name = decodeURIComponent(new URL(url).pathname.replace(/^\//, ''));
  if (!name) throw new Error(`DATABASE_URL names no database: ${redactUrl(url)}`);
  return name;
}

function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${encodeURIComponent(database)}`;
  return parsed.toString();
}

/** The URL without its password, for error messages and logs. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '<unparsable url>';
  }
}

async function withClient<T>(
  config: ClientConfig,
  work: (client: Client) => Promise<T>,
): Promise<T> {
  const client = new Client(config);
  // An unexpected disconnect must fail the work in progress, not crash the process.
  client.on('error', () => undefined);
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * Creates the database named in `url` when it does not exist. Answers true when this call
 * created it. A concurrent creator is fine; a role without CREATEDB gets a clear error.
 */
export async function ensureDatabase(url: string): Promise<boolean> {
  const database = databaseNameOf(url);
  try {
    await withClient(
      { connectionString: url, application_name: 'hookgate-bootstrap' },
      async () => {
        /* connecting is the check */
      },
    );
    return false;
  } catch (error) {
    if (pgCode(error) !== INVALID_CATALOG_NAME) throw error;
  }

  const create = async (maintenance: string): Promise<boolean> =>
    withClient(
      { connectionString: withDatabase(url, maintenance), application_name: 'hookgate-bootstrap' },
      async (client) => {
        try {
          await new DatabaseAdminSession(client).createDatabase(database);
          return true;
        } catch (error) {
          const code = pgCode(error);
          // Another process created it between our check and our CREATE (42P04), or at
          // the same instant (23505 on pg_database's unique index).
          if (code === DUPLICATE_DATABASE || code === UNIQUE_VIOLATION) return false;
          if (code === INSUFFICIENT_PRIVILEGE) {
            throw new Error(
              `Database "${database}" does not exist and the role in DATABASE_URL may not create ` +
                `databases. Create it first (CREATE DATABASE ${quoteIdentifier(database)}) or grant ` +
                `the role CREATEDB. (${redactUrl(url)})`,
              { cause: error },
            );
          }
          throw error;
        }
      },
    );

  try {
    return await create('postgres');
  } catch (error) {
    // Some servers have no `postgres` database; template1 always exists.
    if (pgCode(error) === INVALID_CATALOG_NAME) return create('template1');
    throw error;
  }
}

function urlOf(dataSource: DataSource): string {
  const url = (dataSource.options as { url?: string }).url;
  if (!url) throw new Error('runMigrations needs a DataSource built with a url (createDataSource)');
  return url;
}

/**
 * Applies pending migrations, each in its own transaction, while holding a session-level
 * advisory lock on a dedicated connection (not one of the pool's, so a pool of one still
 * works). Answers the names of the migrations this call applied: empty when the schema was
 * already current (including when another process just applied them).
 */
export async function runMigrations(
  dataSource: DataSource,
  options: RunMigrationsOptions = {},
): Promise<string[]> {
  const { logger } = options;
  const lockTimeoutMs = options.lockTimeoutMs ?? 600_000;
  const applicationName = (dataSource.options as { applicationName?: string }).applicationName;
  return withClient(
    {
      connectionString: urlOf(dataSource),
      application_name: `${applicationName ?? 'hookgate'}:migration-lock`,
    },
    async (client) => {
      const lock = new DatabaseAdminSession(client);
      if (!(await lock.tryLockMigrations())) {
        logger?.log('another process is migrating the database; waiting for it to finish');
        try {
          await lock.lockMigrations(lockTimeoutMs);
        } catch (error) {
          throw new Error(
            `gave up after ${lockTimeoutMs} ms waiting for another process's migration run ` +
              `(advisory lock ${MIGRATION_LOCK_KEY}); is a migration stuck?`,
            { cause: error },
          );
        }
      }
      try {
        const applied = await dataSource.runMigrations({ transaction: 'each' });
        const names = applied.map((migration) => migration.name);
        if (names.length > 0) logger?.log(`applied migrations: ${names.join(', ')}`);
        return names;
      } finally {
        // Should the unlock fail, ending the session below releases the lock anyway.
        await lock.unlockMigrations().catch(() => undefined);
      }
    },
  );
}

/**
 * The migrations this code has that the database has not applied, in order. Only reads:
 * unlike TypeORM's showMigrations it does not create the migrations table.
 */
export async function pendingMigrations(dataSource: DataSource): Promise<string[]> {
  const applied = await new MigrationsRepository(dataSource).appliedNames();
  return dataSource.migrations
    .map((migration) => migration.name ?? migration.constructor.name)
    .filter((name) => !applied.has(name));
}

/**
 * ensureDatabase + createDataSource + initialize + runMigrations: an initialized DataSource.
 * With `migrate: false`, initialize and check only (see {@link PrepareDatabaseOptions}).
 */
export async function prepareDatabase(
  url: string,
  options: PrepareDatabaseOptions = {},
): Promise<DataSource> {
  const { logger, lockTimeoutMs, migrate = true, ...settings } = options;
  if (migrate) await ensureDatabase(url);
  const dataSource = createDataSource({ ...settings, url });
  try {
    await dataSource.initialize();
  } catch (error) {
    if (!migrate && pgCode(error) === INVALID_CATALOG_NAME) {
      throw new DatabaseNotMigratedError(
        `database "${databaseNameOf(url)}" does not exist and MIGRATE_ON_BOOT=false: ` +
          `run the migrate command first, ${MIGRATE_COMMAND} (${redactUrl(url)})`,
        [],
        { cause: error },
      );
    }
    throw error;
  }
  try {
    if (migrate) {
      await runMigrations(dataSource, { logger, lockTimeoutMs });
    } else {
      const pending = await pendingMigrations(dataSource);
      if (pending.length > 0) {
        throw new DatabaseNotMigratedError(
          `the database is not migrated and MIGRATE_ON_BOOT=false, so this app does not ` +
            `migrate it: ${pending.length} migration(s) pending (${pending.join(', ')}). ` +
            `Run the migrate command first, ${MIGRATE_COMMAND}, or set MIGRATE_ON_BOOT=true.`,
          pending,
        );
      }
      logger?.log('MIGRATE_ON_BOOT=false: the schema is current, nothing migrated at boot');
    }
  } catch (error) {
    await dataSource.destroy().catch(() => undefined);
    throw error;
  }
  return dataSource;
}
