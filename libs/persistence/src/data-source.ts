import { DataSource } from 'typeorm';
import { ALL_ENTITIES } from './entities';
import { MIGRATIONS } from './migrations';

/**
 * The one way to build a Hookgate DataSource: every app, worker, script and bench uses it,
 * so pool and timeout settings are the same everywhere. It does not connect; call
 * `initialize()` or use `prepareDatabase` (which also creates the database and migrates).
 */
export interface DataSourceSettings {
  /** `postgres://user:pass@host:port/database` */
  url: string;
  /** Pool size (pg `max`). Default 10. */
  poolSize?: number;
  /** Shown in `pg_stat_activity`. */
  applicationName?: string;
  /**
   * Log every SQL statement (debugging only). Otherwise only TypeORM warnings: failed
   * queries are not logged here (their parameters may hold payloads); they reach the caller.
   */
  logging?: boolean;
  /** Server-side statement timeout. Default 30 s; 0 disables it. */
  statementTimeoutMs?: number;
  /** How long to wait for a connection (new or from a busy pool). Default 10 s. */
  connectTimeoutMs?: number;
}

export const DEFAULT_POOL_SIZE = 10;
export const DEFAULT_STATEMENT_TIMEOUT_MS = 30_000;
export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
/** A transaction left idle this long (a leaked query runner) is ended by the server. */
const IDLE_IN_TRANSACTION_TIMEOUT_MS = 60_000;

export function createDataSource(options: DataSourceSettings): DataSource {
  const poolSize = options.poolSize ?? DEFAULT_POOL_SIZE;
  return new DataSource({
    type: 'postgres',
    url: options.url,
    applicationName: options.applicationName ?? 'hookgate',
    entities: ALL_ENTITIES,
    migrations: MIGRATIONS,
    migrationsTableName: 'migrations',
    synchronize: false,
    migrationsRun: false,
    // The schema is ours (migrations use gen_random_uuid(), built into PG 13+): never let
    // TypeORM try CREATE EXTENSION, which needs superuser rights.
    installExtensions: false,
    uuidExtension: 'pgcrypto',
    logging: options.logging ? 'all' : ['warn'],
    poolSize,
    connectTimeoutMS: options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
    extra: {
      max: poolSize,
      statement_timeout: options.statementTimeoutMs ?? DEFAULT_STATEMENT_TIMEOUT_MS,
      idle_in_transaction_session_timeout: IDLE_IN_TRANSACTION_TIMEOUT_MS,
      idleTimeoutMillis: 30_000,
      keepAlive: true,
    },
  });
}
