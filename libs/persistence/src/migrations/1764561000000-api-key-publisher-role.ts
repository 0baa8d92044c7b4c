import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A third key role, `publisher`: a backend service's key that may publish
 * (`POST /deliveries`, `POST /events`) and read deliveries, nothing else. The role column
 * is checked by a constraint, so the constraint learns the new value. Down fails while
 * publisher keys exist (the old constraint rejects them) rather than delete them.
 */
export class ApiKeyPublisherRole1764561000000 implements MigrationInterface {
  name = 'ApiKeyPublisherRole1764561000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE api_keys DROP CONSTRAINT api_keys_role_check`);
    await queryRunner.query(
      `ALTER TABLE api_keys ADD CONSTRAINT api_keys_role_check
         CHECK (role IN ('admin', 'operator', 'publisher'))`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE api_keys DROP CONSTRAINT api_keys_role_check`);
    await queryRunner.query(
      `ALTER TABLE api_keys ADD CONSTRAINT api_keys_role_check CHECK (role IN ('admin', 'operator'))`,
    );
  }
}
