import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The console's events search (`GET /inbound-events?q=`) matches the matched rule as well
 * as the identities; the identities are found through the per-endpoint uniqueness indexes,
 * but nothing indexed `matched_rule`, so every search read the whole table (~0.8 s on 1M
 * events). Partial, so the gateway's insert path pays nothing: a webhook is stored with no
 * matched rule, and rows gain their entry in the processing UPDATE that sets it (an UPDATE
 * that already writes new index entries, as it changes the indexed `state`). ~6 MB per
 * million processed events; built in ~3 s on 1M rows (it holds a SHARE lock on
 * inbound_events meanwhile, so inserts wait that long during the migration).
 */
export class InboundEventsMatchedRuleIndex1764560000000 implements MigrationInterface {
  name = 'InboundEventsMatchedRuleIndex1764560000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`SET LOCAL statement_timeout = 0`);
    await queryRunner.query(
      `CREATE INDEX inbound_events_tenant_matched_rule_idx
         ON inbound_events (tenant_id, matched_rule) WHERE matched_rule IS NOT NULL`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX IF EXISTS inbound_events_tenant_matched_rule_idx`);
  }
}
