import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Publish requests (`outbound-requests` jobs) the intake refuses — malformed data, a job
 * name it does not know, a tenant that does not exist — are kept here instead of being
 * dropped with a log line, so an operator can list what was refused and why. One row per
 * job (`job_key`): a job re-run after a crash or an outage records its refusal once.
 * `data` is a bounded prefix of the job's data as JSON text (text, not jsonb: it is
 * whatever a producer sent, including what jsonb refuses); `data_bytes` its full size.
 */
export class OutboundRequestRefusals1764530000000 implements MigrationInterface {
  name = 'OutboundRequestRefusals1764530000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE outbound_request_refusals (
        id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        job_key     text NOT NULL,
        job_name    text NOT NULL,
        tenant      text,
        reason      text NOT NULL,
        data        text NOT NULL,
        data_bytes  integer NOT NULL,
        created_at  timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT outbound_request_refusals_job_key_key UNIQUE (job_key)
      )`);
    await queryRunner.query(
      `CREATE INDEX outbound_request_refusals_created_idx ON outbound_request_refusals (created_at)`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE IF EXISTS outbound_request_refusals`);
  }
}
