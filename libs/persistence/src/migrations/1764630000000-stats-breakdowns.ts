import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * What the breakdowns of `GET /stats?groupBy=` (StatsRepository.breakdown) read, so they
 * cost what the other figures cost, not the rows of the window:
 *
 * - `stats_hourly_breakdowns`: the hourly rollup (StatsRollupJob, under the same
 *   watermark and in the same transaction as `stats_hourly`, so each closed hour is added
 *   once) of what never changes once it happened: `done` fan-out deliveries per event type
 *   by the hour they finished (dimension `eventType`, state `done`), and records per model
 *   by the hour they were created (dimension `recordModel`, state `created`). Backfilled
 *   here up to the current watermarks, under their row locks, so no hour is missed or
 *   counted twice by a rollup running meanwhile.
 * - deliveries with an event type in any other state are counted live, by creation time,
 *   from a partial index holding only those (pending and failed: few);
 * - records created in the partial hours at the window's edges, from `(tenant_id,
 *   created_at)` carrying the model;
 * - attempts that failed, by error class: partial on `outcome <> 'success'`, so the
 *   dispatcher's common path (a 2xx) pays nothing and the scan reads failures only.
 *
 * Figures on 1M rows are in docs/statistics-and-retention.md.
 */
export class StatsBreakdowns1764630000000 implements MigrationInterface {
  name = 'StatsBreakdowns1764630000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`SET LOCAL statement_timeout = 0`);
    await queryRunner.query(`
      CREATE TABLE stats_hourly_breakdowns (
        tenant_id  uuid NOT NULL,
        dimension  text NOT NULL CHECK (dimension IN ('eventType', 'recordModel')),
        value      text NOT NULL,
        hour       timestamptz NOT NULL,
        state      text NOT NULL,
        count      bigint NOT NULL,
        PRIMARY KEY (tenant_id, dimension, hour, value, state)
      )`);
    await queryRunner.query(
      `CREATE INDEX deliveries_tenant_event_type_live_idx ON deliveries (tenant_id, created_at)
         INCLUDE (event_type, state) WHERE event_type IS NOT NULL AND state <> 'done'`,
    );
    await queryRunner.query(
      `CREATE INDEX records_tenant_created_idx ON records (tenant_id, created_at) INCLUDE (model)`,
    );
    await queryRunner.query(
      `CREATE INDEX delivery_attempts_tenant_failed_idx ON delivery_attempts (tenant_id, started_at)
         INCLUDE (error_class, response_status, outcome) WHERE outcome <> 'success'`,
    );
    // The hours already rolled up, once, while the rollup waits on its watermark rows.
    await queryRunner.query(`SELECT 1 FROM stats_rollup_watermarks ORDER BY direction FOR UPDATE`);
    await queryRunner.query(`
      INSERT INTO stats_hourly_breakdowns (tenant_id, dimension, value, hour, state, count)
      SELECT tenant_id, 'eventType', event_type,
             date_trunc('hour', COALESCE(completed_at, updated_at), 'UTC'), 'done', count(*)
        FROM deliveries
       WHERE state = 'done' AND event_type IS NOT NULL
         AND COALESCE(completed_at, updated_at) <
             (SELECT rolled_up_to FROM stats_rollup_watermarks WHERE direction = 'outbound')
       GROUP BY 1, 3, 4`);
    await queryRunner.query(`
      INSERT INTO stats_hourly_breakdowns (tenant_id, dimension, value, hour, state, count)
      SELECT tenant_id, 'recordModel', model, date_trunc('hour', created_at, 'UTC'), 'created', count(*)
        FROM records
       WHERE created_at < (SELECT rolled_up_to FROM stats_rollup_watermarks WHERE direction = 'inbound')
       GROUP BY 1, 3, 4`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX IF EXISTS delivery_attempts_tenant_failed_idx`);
    await queryRunner.query(`DROP INDEX IF EXISTS records_tenant_created_idx`);
    await queryRunner.query(`DROP INDEX IF EXISTS deliveries_tenant_event_type_live_idx`);
    await queryRunner.query(`DROP TABLE IF EXISTS stats_hourly_breakdowns`);
  }
}
