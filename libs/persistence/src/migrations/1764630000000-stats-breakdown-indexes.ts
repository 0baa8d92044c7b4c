import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The breakdowns of `GET /stats?groupBy=` (eventType, recordModel, errorClass) read only
 * index entries of the window, never the rows (see StatsRepository.breakdown):
 *
 * - deliveries by event type: partial on `event_type IS NOT NULL`, so direct `deliver`
 *   requests (no event type) pay nothing on insert; the state is carried so the scan is
 *   index-only.
 * - attempts that failed, by error class: partial on `outcome <> 'success'`, so the
 *   dispatcher's common path (a 2xx) pays nothing and the scan reads failures only.
 * - records by model: one index on the last change (`updated_at`, which is never before
 *   `created_at`), carrying model and creation time, answers both "created in the window"
 *   and "last changed in the window".
 *
 * Figures on 1M rows are in docs/statistics-and-retention.md.
 */
export class StatsBreakdownIndexes1764630000000 implements MigrationInterface {
  name = 'StatsBreakdownIndexes1764630000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`SET LOCAL statement_timeout = 0`);
    await queryRunner.query(
      `CREATE INDEX deliveries_tenant_event_type_idx ON deliveries (tenant_id, created_at)
         INCLUDE (event_type, state) WHERE event_type IS NOT NULL`,
    );
    await queryRunner.query(
      `CREATE INDEX delivery_attempts_tenant_failed_idx ON delivery_attempts (tenant_id, started_at)
         INCLUDE (error_class, response_status, outcome) WHERE outcome <> 'success'`,
    );
    await queryRunner.query(
      `CREATE INDEX records_tenant_changed_idx ON records (tenant_id, updated_at)
         INCLUDE (model, created_at)`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX IF EXISTS records_tenant_changed_idx`);
    await queryRunner.query(`DROP INDEX IF EXISTS delivery_attempts_tenant_failed_idx`);
    await queryRunner.query(`DROP INDEX IF EXISTS deliveries_tenant_event_type_idx`);
  }
}
