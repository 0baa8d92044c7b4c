import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Refusals belong to a tenant, so the admin API can show each tenant what its producers
 * sent without showing it anyone else's: `tenant_id` is the tenant the job named (no name:
 * `default`, as the job contract says) when that tenant exists at the time of the refusal.
 * Null when it named no tenant that exists (`unknown_tenant`): such rows are the
 * operator's, visible to the `default` tenant only. Rows recorded before this column get
 * the same resolution from their stored `tenant` name.
 */
export class OutboundRequestRefusalsTenant1764540000000 implements MigrationInterface {
  name = 'OutboundRequestRefusalsTenant1764540000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `ALTER TABLE outbound_request_refusals ADD COLUMN tenant_id uuid REFERENCES tenants (id)`,
    );
    await queryRunner.query(`
      UPDATE outbound_request_refusals r
         SET tenant_id = t.id
        FROM tenants t
       WHERE t.name = COALESCE(r.tenant, 'default')`);
    await queryRunner.query(
      `CREATE INDEX outbound_request_refusals_tenant_created_idx
         ON outbound_request_refusals (tenant_id, created_at DESC, id DESC)`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX IF EXISTS outbound_request_refusals_tenant_created_idx`);
    await queryRunner.query(
      `ALTER TABLE outbound_request_refusals DROP COLUMN IF EXISTS tenant_id`,
    );
  }
}
