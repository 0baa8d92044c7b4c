import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The console finds deliveries by the idempotency key their publisher gave and lists what
 * one inbound event forwarded (`GET /deliveries?idempotencyKey=` and `?sourceEventId=`).
 * The unique key index leads with the endpoint, so neither lookup could use an index: on
 * a large table each would walk every delivery of the tenant. Partial: most deliveries
 * have neither value, and those rows need no entry.
 */
export class DeliveriesLookupIndexes1764550000000 implements MigrationInterface {
  name = 'DeliveriesLookupIndexes1764550000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`SET LOCAL statement_timeout = 0`);
    await queryRunner.query(
      `CREATE INDEX deliveries_tenant_idempotency_key_idx
         ON deliveries (tenant_id, idempotency_key) WHERE idempotency_key IS NOT NULL`,
    );
    await queryRunner.query(
      `CREATE INDEX deliveries_source_event_idx
         ON deliveries (source_event_id) WHERE source_event_id IS NOT NULL`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX IF EXISTS deliveries_source_event_idx`);
    await queryRunner.query(`DROP INDEX IF EXISTS deliveries_tenant_idempotency_key_idx`);
  }
}
