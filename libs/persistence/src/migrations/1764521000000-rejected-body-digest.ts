import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A rejected request's body is stored only up to a bounded prefix (REJECTED_BODY_PREFIX_BYTES,
 * issue 21): these keep the whole body's size and SHA-256 (hex), so an operator can still
 * tell what was sent. Null for accepted events, whose `raw_body` is the whole body.
 */
export class RejectedBodyDigest1764521000000 implements MigrationInterface {
  name = 'RejectedBodyDigest1764521000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `ALTER TABLE inbound_events
         ADD COLUMN body_size integer CHECK (body_size >= 0),
         ADD COLUMN body_sha256 text CHECK (body_sha256 ~ '^[0-9a-f]{64}$')`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `ALTER TABLE inbound_events DROP COLUMN body_sha256, DROP COLUMN body_size`,
    );
  }
}
