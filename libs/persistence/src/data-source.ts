import { DataSource } from 'typeorm';
import { ALL_ENTITIES } from './entities';
import { MIGRATIONS } from './migrations';
import {
  DEFAULT_CONNECT_TIMEOUT_MS,
  DEFAULT_POOL_SIZE,
  sharedPoolOptions,
  type DataSourceSettings,
} from './pg-pool';

/**
 * The one way to build a Hookgate DataSource: every app, worker, script and bench uses it,
 * so pool and timeout settings are the same everywhere. It does not connect; call
 * `initialize()` or use `prepareDatabase` (which also creates the database and migrates).
 */
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
    extra: sharedPoolOptions(options),
  });
}
