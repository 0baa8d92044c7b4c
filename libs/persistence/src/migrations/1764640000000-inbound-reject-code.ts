import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The stable code of the typed error a rejected event was refused with (`error.code` of
 * libs/core/src/errors: `signature_invalid`, `timestamp_invalid`, `payload_invalid`,
 * `configuration_invalid`), stored beside its free-text `reject_reason` so the stats'
 * inbound error classes read it instead of guessing it from the reason's words.
 *
 * `inbound_events` is a plain table (not partitioned: docs/scaling.md describes
 * partitioning as a later, separate step), and a nullable column with no default and no
 * constraint is added in the catalog only: no rewrite and no scan, just a brief ACCESS
 * EXCLUSIVE lock. Nothing is backfilled: rows stored before this migration keep a NULL
 * code, and the stats class them from their reason as before (StatsRepository).
 */
export class InboundRejectCode1764640000000 implements MigrationInterface {
  name = 'InboundRejectCode1764640000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE inbound_events ADD COLUMN reject_code text`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE inbound_events DROP COLUMN IF EXISTS reject_code`);
  }
}
