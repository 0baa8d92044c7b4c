import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `GET /audit?entityId=…` (an entity's history) without scanning the tenant's whole log:
 * every operator action adds an entry, so the log grows with traffic.
 */
export class AuditEntityIdIndex1764500000000 implements MigrationInterface {
  name = 'AuditEntityIdIndex1764500000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`SET LOCAL statement_timeout = 0`);
    await queryRunner.query(
      `CREATE INDEX IF NOT EXISTS audit_entries_tenant_entity_id_idx
         ON audit_entries (tenant_id, entity_id, created_at DESC)`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX IF EXISTS audit_entries_tenant_entity_id_idx`);
  }
}
