import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Record-change triggers (SPEC §11): tenant-scoped configuration naming a records-store
 * model, the operations it reacts to, changed-field filters and conditions. The records
 * store reads a model's active triggers in the transaction of every change, through the
 * partial index. Their events are `deliveries` rows written in that same transaction (the
 * outbox), keyed by the change, so no separate event table is needed.
 */
export class RecordTriggers1764600000000 implements MigrationInterface {
  name = 'RecordTriggers1764600000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE record_triggers (
        id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        tenant_id       uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
        code            text NOT NULL,
        name            text NOT NULL,
        model           text NOT NULL,
        operations      text[] NOT NULL,
        changed_fields  text[] NOT NULL DEFAULT '{}',
        conditions      jsonb NOT NULL DEFAULT '[]',
        event_type      text,
        active          boolean NOT NULL DEFAULT true,
        created_at      timestamptz NOT NULL DEFAULT now(),
        updated_at      timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT record_triggers_tenant_code_key UNIQUE (tenant_id, code),
        CONSTRAINT record_triggers_operations_check
          CHECK (cardinality(operations) > 0
             AND operations <@ ARRAY['created', 'updated', 'deleted']::text[])
      )`);
    await queryRunner.query(
      `CREATE INDEX record_triggers_active_model_idx ON record_triggers (tenant_id, model) WHERE active`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE IF EXISTS record_triggers`);
  }
}
