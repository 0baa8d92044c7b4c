import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Marks the key made from ADMIN_API_KEY (`bootstrap`), so that when the admin app starts
 * with a different ADMIN_API_KEY it can revoke the previous one instead of leaving it valid
 * forever; `revoked_reason` tells such a revocation from an operator's (which is final).
 * Existing bootstrap keys are recognised by what only ensureBootstrapKey ever wrote: its
 * name, an 8-character prefix (API keys get 12) and an admin role in the default tenant.
 */
export class ApiKeyBootstrap1764530000001 implements MigrationInterface {
  name = 'ApiKeyBootstrap1764530000001';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `ALTER TABLE api_keys
         ADD COLUMN bootstrap boolean NOT NULL DEFAULT false,
         ADD COLUMN revoked_reason text`,
    );
    await queryRunner.query(
      `UPDATE api_keys k SET bootstrap = true
         FROM tenants t
        WHERE t.id = k.tenant_id AND t.name = 'default'
          AND k.name = 'bootstrap (ADMIN_API_KEY)' AND k.role = 'admin'
          AND length(k.key_prefix) = 8`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `ALTER TABLE api_keys DROP COLUMN IF EXISTS revoked_reason, DROP COLUMN IF EXISTS bootstrap`,
    );
  }
}
