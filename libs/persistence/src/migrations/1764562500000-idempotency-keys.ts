import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The admin API's `Idempotency-Key` memory: one row per tenant and key, reserved by the
 * first request (`status` null while it runs) and completed with its answer, which a repeat
 * of the same request within the window gets back instead of creating a second resource.
 * The primary key makes concurrent first requests race on one insert, so exactly one runs.
 * `request_hash` (SHA-256 of method, URL and canonical body) tells a repeat from a reuse of
 * the key for something else. `body` is the answer's JSON encrypted with the secret box: a
 * created API key or tenant answers its secret once, and it must not sit here in clear.
 * Rows older than the window are purged by the admin app.
 */
export class IdempotencyKeys1764562500000 implements MigrationInterface {
  name = 'IdempotencyKeys1764562500000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE idempotency_keys (
        tenant_id     uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
        key           text NOT NULL,
        request_hash  text NOT NULL,
        status        integer,
        body          text,
        created_at    timestamptz NOT NULL DEFAULT now(),
        completed_at  timestamptz,
        PRIMARY KEY (tenant_id, key)
      )`);
    await queryRunner.query(
      `CREATE INDEX idempotency_keys_created_idx ON idempotency_keys (created_at)`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE IF EXISTS idempotency_keys`);
  }
}
