import type { Client } from 'pg';
import { BaseRepository } from './base.repository';

/**
 * Database administration at boot (database-bootstrap.ts): creating the database and the
 * migration run's advisory lock, on a dedicated pg Client (no pool exists yet, or the
 * lock must not hold one of the pool's connections), and what the `migrations` table
 * says was applied.
 */

/** Advisory lock key of the migration run: "hookgate" in ASCII, read as a bigint. */
export const MIGRATION_LOCK_KEY = '7525356009446012005';

/** A name as a quoted SQL identifier. */
export const quoteIdentifier = (name: string): string => `"${name.replace(/"/g, '""')}"`;

/** The statements of one bootstrap connection (a pg Client the caller opens and ends). */
export class DatabaseAdminSession {
  constructor(private readonly client: Client) {}

  /** CREATE DATABASE; Postgres' errors (42P04 duplicate, 42501 privilege…) pass through. */
  async createDatabase(database: string): Promise<void> {
    await this.client.query(`CREATE DATABASE ${quoteIdentifier(database)}`);
  }

  /** Takes the migration lock if free; answers whether it did. */
  async tryLockMigrations(): Promise<boolean> {
    const { rows } = await this.client.query<{ locked: boolean }>(
      'SELECT pg_try_advisory_lock($1::bigint) AS locked',
      [MIGRATION_LOCK_KEY],
    );
    return rows[0]?.locked === true;
  }

  /** Waits for the migration lock, at most `timeoutMs` (then rejects: lock_timeout). */
  async lockMigrations(timeoutMs: number): Promise<void> {
    await this.client.query(`SET lock_timeout = ${Math.max(0, Math.floor(timeoutMs))}`);
    await this.client.query('SELECT pg_advisory_lock($1::bigint)', [MIGRATION_LOCK_KEY]);
  }

  async unlockMigrations(): Promise<void> {
    await this.client.query('SELECT pg_advisory_unlock($1::bigint)', [MIGRATION_LOCK_KEY]);
  }
}

export class MigrationsRepository extends BaseRepository {
  /**
   * The names of the applied migrations; empty when the table does not exist yet. Only
   * reads: unlike TypeORM's showMigrations it does not create the migrations table.
   */
  async appliedNames(): Promise<Set<string>> {
    const [table] = (await this.manager.query(
      `SELECT to_regclass('migrations') IS NOT NULL AS present`,
    )) as Array<{ present: boolean }>;
    return new Set<string>(
      table?.present
        ? (
            (await this.manager.query('SELECT name FROM migrations')) as Array<{ name: string }>
          ).map((row) => row.name)
        : [],
    );
  }
}
