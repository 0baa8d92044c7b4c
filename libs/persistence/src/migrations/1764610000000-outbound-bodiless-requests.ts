import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Body-less outbound requests (issue 26): methods GET and HEAD, body mode `none`, and the
 * endpoint's query rules (payload fields mapped to URL parameters). The method and body
 * mode columns are checked by constraints, so the constraints learn the new values. Down
 * fails while an endpoint uses them (the old constraints reject them) rather than rewrite
 * them.
 */
export class OutboundBodilessRequests1764610000000 implements MigrationInterface {
  name = 'OutboundBodilessRequests1764610000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      ALTER TABLE outbound_endpoints
        DROP CONSTRAINT outbound_endpoints_method_check,
        ADD CONSTRAINT outbound_endpoints_method_check
          CHECK (method IN ('POST', 'PUT', 'PATCH', 'DELETE', 'GET', 'HEAD')),
        DROP CONSTRAINT outbound_endpoints_body_mode_check,
        ADD CONSTRAINT outbound_endpoints_body_mode_check
          CHECK (body_mode IN ('json', 'form', 'multipart', 'none')),
        ADD COLUMN query_rules jsonb NOT NULL DEFAULT '[]'`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      ALTER TABLE outbound_endpoints
        DROP COLUMN query_rules,
        DROP CONSTRAINT outbound_endpoints_method_check,
        ADD CONSTRAINT outbound_endpoints_method_check
          CHECK (method IN ('POST', 'PUT', 'PATCH', 'DELETE')),
        DROP CONSTRAINT outbound_endpoints_body_mode_check,
        ADD CONSTRAINT outbound_endpoints_body_mode_check
          CHECK (body_mode IN ('json', 'form', 'multipart'))`);
  }
}
