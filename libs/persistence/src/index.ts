/**
 * @app/persistence — Hookgate's Postgres layer: TypeORM entities, the hand-written
 * migrations, DataSource construction and boot-time database preparation, the records
 * store (core's RecordStore port), the repositories (./repositories: every statement the
 * apps run, one file per table or aggregate) and SecretBox for secrets at rest. Plain
 * TypeORM/pg, no NestJS, so apps, workers, scripts and benches all use it the same way;
 * the apps bind the repositories through `@app/persistence/persistence.module`, the one
 * Nest file, which this index does not export.
 */
export * from './entities';
export * from './migrations';
export * from './data-source';
export * from './pg-pool';
export * from './query-rows';
export * from './database-bootstrap';
export * from './repositories';
export * from './handlers/handler-cache';
export * from './secrets/secret-box';
export * from './secrets/create-secret-box';
export * from './secrets/reencrypt-secrets';
export * from './postgres-unavailable';
