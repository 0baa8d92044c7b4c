import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * What `GET /stats` (apps/admin/src/stats) reads, so it stays fast at millions of rows:
 *
 * - `stats_hourly`: counts of items in a terminal state — inbound events `done`/`rejected`,
 *   deliveries `done`, the states nothing ever leaves — per tenant, endpoint, state and
 *   the UTC hour they finished in. The admin app's StatsRollupJob adds each closed hour
 *   once; `stats_rollup_watermarks` records, per direction, the hour up to which it has.
 *   Other states can still change (an operator resets an `error`), so they are counted
 *   live from the `(endpoint_id, state, time)` indexes.
 * - partial indexes on the finish time of terminal rows, for the rollup and for the live
 *   part of a window after the watermark. A row enters them only when it finishes.
 * - attempt latency percentiles read the tenant's most recent attempts of the window by an
 *   index-only scan; this replaces `delivery_attempts_started_idx` (nothing else used it),
 *   so recording an attempt maintains as many indexes as before.
 * - deliveries whose endpoint is unknown (endpoint_id NULL, dead-lettered at intake) are
 *   counted from a small partial index.
 */
export class StatsRollup1764510000000 implements MigrationInterface {
  name = 'StatsRollup1764510000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`SET LOCAL statement_timeout = 0`);
    await queryRunner.query(`
      CREATE TABLE stats_hourly (
        tenant_id   uuid NOT NULL,
        direction   text NOT NULL CHECK (direction IN ('inbound', 'outbound')),
        endpoint_id uuid,
        hour        timestamptz NOT NULL,
        state       text NOT NULL,
        count       bigint NOT NULL
      )`);
    await queryRunner.query(
      `CREATE UNIQUE INDEX stats_hourly_key ON stats_hourly
         (tenant_id, direction, hour, state, COALESCE(endpoint_id, '00000000-0000-0000-0000-000000000000'::uuid))`,
    );
    await queryRunner.query(`
      CREATE TABLE stats_rollup_watermarks (
        direction    text PRIMARY KEY CHECK (direction IN ('inbound', 'outbound')),
        rolled_up_to timestamptz NOT NULL
      )`);
    await queryRunner.query(
      `INSERT INTO stats_rollup_watermarks (direction, rolled_up_to)
       VALUES ('inbound', '-infinity'), ('outbound', '-infinity')`,
    );
    await queryRunner.query(
      `CREATE INDEX inbound_events_finished_idx ON inbound_events ((COALESCE(processed_at, received_at)))
         WHERE state IN ('done', 'rejected')`,
    );
    await queryRunner.query(
      `CREATE INDEX deliveries_finished_idx ON deliveries ((COALESCE(completed_at, updated_at)))
         WHERE state = 'done'`,
    );
    await queryRunner.query(
      `CREATE INDEX delivery_attempts_tenant_started_idx
         ON delivery_attempts (tenant_id, started_at) INCLUDE (endpoint_id, duration_ms, outcome)`,
    );
    await queryRunner.query(`DROP INDEX IF EXISTS delivery_attempts_started_idx`);
    await queryRunner.query(
      `CREATE INDEX deliveries_unknown_endpoint_idx ON deliveries (tenant_id, created_at)
         INCLUDE (state) WHERE endpoint_id IS NULL`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX IF EXISTS deliveries_unknown_endpoint_idx`);
    await queryRunner.query(
      `CREATE INDEX IF NOT EXISTS delivery_attempts_started_idx ON delivery_attempts (started_at)`,
    );
    await queryRunner.query(`DROP INDEX IF EXISTS delivery_attempts_tenant_started_idx`);
    await queryRunner.query(`DROP INDEX IF EXISTS deliveries_finished_idx`);
    await queryRunner.query(`DROP INDEX IF EXISTS inbound_events_finished_idx`);
    await queryRunner.query(`DROP TABLE IF EXISTS stats_rollup_watermarks`);
    await queryRunner.query(`DROP TABLE IF EXISTS stats_hourly`);
  }
}
