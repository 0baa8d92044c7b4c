import type { Condition, RecordOperation, RecordTrigger } from '@app/core';
import { rowsOf } from '../query-rows';
import { BaseRepository } from './base.repository';

/**
 * `record_triggers` (SPEC §11 "Record-change webhooks"): the admin API's CRUD, and the
 * read every records-store change makes in its transaction — the model's active triggers,
 * through the partial index on (tenant_id, model).
 */
export interface RecordTriggerRow extends RecordTrigger {
  name: string;
  createdAt: Date;
  updatedAt: Date;
}

export interface RecordTriggerValues {
  code: string;
  name: string;
  model: string;
  operations: RecordOperation[];
  changedFields: string[];
  conditions: Condition[];
  eventType: string | null;
  active: boolean;
}

const COLUMNS = `id, code, name, model, operations, changed_fields, conditions, event_type,
                 active, created_at, updated_at`;

interface Row {
  id: string;
  code: string;
  name: string;
  model: string;
  operations: RecordOperation[];
  changed_fields: string[];
  conditions: Condition[];
  event_type: string | null;
  active: boolean;
  created_at: Date;
  updated_at: Date;
}

export class RecordTriggersRepository extends BaseRepository {
  async list(tenantId: string): Promise<RecordTriggerRow[]> {
    const rows = await this.manager.query(
      `SELECT ${COLUMNS} FROM record_triggers WHERE tenant_id = $1 ORDER BY code`,
      [tenantId],
    );
    return rowsOf<Row>(rows).map(toTrigger);
  }

  /** The tenant's trigger, or null; `lock`: row-locked until the transaction ends. */
  async findOwned(
    tenantId: string,
    id: string,
    options: { lock?: boolean } = {},
  ): Promise<RecordTriggerRow | null> {
    const rows = await this.manager.query(
      `SELECT ${COLUMNS} FROM record_triggers WHERE tenant_id = $1 AND id = $2
       ${options.lock ? 'FOR UPDATE' : ''}`,
      [tenantId, id],
    );
    const row = rowsOf<Row>(rows)[0];
    return row ? toTrigger(row) : null;
  }

  async insert(tenantId: string, values: RecordTriggerValues): Promise<string> {
    const rows = await this.manager.query(
      `INSERT INTO record_triggers
         (tenant_id, code, name, model, operations, changed_fields, conditions, event_type, active)
       VALUES ($1, $2, $3, $4, $5::text[], $6::text[], $7::jsonb, $8, $9)
       RETURNING id`,
      [tenantId, ...params(values)],
    );
    return rowsOf<{ id: string }>(rows)[0].id;
  }

  async update(tenantId: string, id: string, values: RecordTriggerValues): Promise<void> {
    await this.manager.query(
      `UPDATE record_triggers
          SET code = $3, name = $4, model = $5, operations = $6::text[], changed_fields = $7::text[],
              conditions = $8::jsonb, event_type = $9, active = $10, updated_at = now()
        WHERE tenant_id = $1 AND id = $2`,
      [tenantId, id, ...params(values)],
    );
  }

  async delete(tenantId: string, id: string): Promise<void> {
    await this.manager.query(`DELETE FROM record_triggers WHERE tenant_id = $1 AND id = $2`, [
      tenantId,
      id,
    ]);
  }

  /** The model's active triggers, as the change's transaction sees them. */
  async activeFor(tenantId: string, model: string): Promise<RecordTrigger[]> {
    const rows = await this.manager.query(
      `SELECT ${COLUMNS} FROM record_triggers
        WHERE tenant_id = $1 AND model = $2 AND active ORDER BY code`,
      [tenantId, model],
    );
    return rowsOf<Row>(rows).map(toTrigger);
  }
}

function params(values: RecordTriggerValues): unknown[] {
  return [
    values.code,
    values.name,
    values.model,
    values.operations,
    values.changedFields,
    JSON.stringify(values.conditions),
    values.eventType,
    values.active,
  ];
}

function toTrigger(row: Row): RecordTriggerRow {
  return {
    id: row.id,
    code: row.code,
    name: row.name,
    model: row.model,
    operations: row.operations,
    changedFields: row.changed_fields,
    conditions: row.conditions,
    eventType: row.event_type,
    active: row.active,
    createdAt: new Date(row.created_at),
    updatedAt: new Date(row.updated_at),
  };
}
