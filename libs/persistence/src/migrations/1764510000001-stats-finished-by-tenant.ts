import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The finish-time indexes of StatsRollup1764510000000, led by the tenant: `/stats` counts a
 * window's not-yet-rolled-up hour and its partial edge hours for one tenant, which with
 * the time alone meant reading every tenant's rows of those hours. The rollup job reads
 * them per tenant too (`tenant_id = ANY(...)`). Same number of indexes as before.
 */
export class StatsFinishedByTenant1764510000001 implements MigrationInterface {
  name = 'StatsFinishedByTenant1764510000001';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`SET LOCAL statement_timeout = 0`);
    await queryRunner.query(`DROP INDEX IF EXISTS inbound_events_finished_idx`);
    await queryRunner.query(
      `CREATE INDEX inbound_events_tenant_finished_idx
         ON inbound_events (tenant_id, (COALESCE(processed_at, received_at)))
         WHERE state IN ('done', 'rejected')`,
    );
    await queryRunner.query(`DROP INDEX IF EXISTS deliveries_finished_idx`);
    await queryRunner.query(
      `CREATE INDEX deliveries_tenant_finished_idx
         ON deliveries (tenant_id, (COALESCE(completed_at, updated_at)))
         WHERE state = 'done'`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX IF EXISTS deliveries_tenant_finished_idx`);
    await queryRunner.query(
      `CREATE INDEX deliveries_finished_idx ON deliveries ((COALESCE(completed_at, updated_at)))
         WHERE state = 'done'`,
    );
    await queryRunner.query(`DROP INDEX IF EXISTS inbound_events_tenant_finished_idx`);
    await queryRunner.query(
      `CREATE INDEX inbound_events_finished_idx ON inbound_events ((COALESCE(processed_at, received_at)))
         WHERE state IN ('done', 'rejected')`,
    );
  }
}
