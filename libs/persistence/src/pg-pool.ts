import { Pool, type PoolConfig } from 'pg';

/**
 * Connection settings shared by every Postgres pool Hookgate opens: TypeORM's (through
 * `createDataSource`) and the plain `pg` pools of code that runs without TypeORM (the
 * gateway's event-writer thread). No TypeORM import here, so such code stays light.
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

/** The pg pool options both kinds of pool share (TypeORM passes them as `extra`). */
export function sharedPoolOptions(options: DataSourceSettings) {
  return {
    max: options.poolSize ?? DEFAULT_POOL_SIZE,
    statement_timeout: options.statementTimeoutMs ?? DEFAULT_STATEMENT_TIMEOUT_MS,
    idle_in_transaction_session_timeout: IDLE_IN_TRANSACTION_TIMEOUT_MS,
    idleTimeoutMillis: 30_000,
    keepAlive: true,
  } satisfies PoolConfig;
}

/**
 * A plain `pg` pool with the same settings as `createDataSource`. A client that fails
 * while idle is dropped by the pool; its error is passed to `onIdleError` instead of
 * crashing the process.
 */
export function createPgPool(
  options: DataSourceSettings,
  onIdleError: (error: Error) => void = () => undefined,
): Pool {
  const pool = new Pool({
    connectionString: options.url,
    application_name: options.applicationName ?? 'hookgate',
    connectionTimeoutMillis: options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
    ...sharedPoolOptions(options),
  });
  pool.on('error', onIdleError);
  return pool;
}
