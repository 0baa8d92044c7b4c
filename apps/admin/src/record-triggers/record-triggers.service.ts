import { Injectable, NotFoundException } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import {
  defaultRecordEventType,
  recordTriggerProblems,
  type Condition,
  type RecordOperation,
} from '@app/core';
import {
  RecordTriggersRepository,
  type RecordTriggerRow,
  type RecordTriggerValues,
} from '@app/persistence';
import { AuditService } from '../audit/audit.service';
import { requireUuid } from '../common/ids';
import { conflictOnDuplicate } from '../common/pg-errors';
import { problemsByField, validationFailure } from '../common/validation';
import type { SaveRecordTriggerDto } from './record-trigger.dto';

/**
 * Record-change triggers (SPEC §11), tenant-scoped configuration: CRUD with the rule
 * engine's condition validators, each change audited in its transaction. Nothing caches
 * them: the records store reads a model's active triggers in every change's transaction,
 * so a saved trigger applies to the next change.
 */
export interface RecordTriggerView {
  id: string;
  code: string;
  name: string;
  model: string;
  operations: RecordOperation[];
  changedFields: string[];
  conditions: Condition[];
  eventType: string | null;
  /** The event types it publishes (its own, or `record.<model>.<operation>` for each). */
  publishes: string[];
  active: boolean;
  createdAt: string;
  updatedAt: string;
}

@Injectable()
export class RecordTriggersService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly triggers: RecordTriggersRepository,
    private readonly audit: AuditService,
  ) {}

  async list(tenantId: string): Promise<RecordTriggerView[]> {
    return (await this.triggers.list(tenantId)).map(toView);
  }

  async get(tenantId: string, id: string, manager?: EntityManager): Promise<RecordTriggerView> {
    const row = await this.triggers
      .in(manager)
      .findOwned(tenantId, requireUuid(id, 'record trigger'));
    if (!row) throw new NotFoundException(`record trigger ${id} not found`);
    return toView(row);
  }

  async create(tenantId: string, dto: SaveRecordTriggerDto): Promise<RecordTriggerView> {
    const values = checked(dto);
    const id = await conflictOnDuplicate(
      () =>
        this.dataSource.transaction(async (manager) => {
          const id = await this.triggers.in(manager).insert(tenantId, values);
          await this.audit.record(manager, null, {
            action: 'record-trigger.create',
            entityType: 'record-trigger',
            entityId: id,
            after: await this.get(tenantId, id, manager),
          });
          return id;
        }),
      `a record trigger with code "${dto.code}" already exists`,
    );
    return this.get(tenantId, id);
  }

  async update(
    tenantId: string,
    id: string,
    dto: SaveRecordTriggerDto,
  ): Promise<RecordTriggerView> {
    requireUuid(id, 'record trigger');
    const values = checked(dto);
    await conflictOnDuplicate(
      () =>
        this.dataSource.transaction(async (manager) => {
          const before = await this.locked(manager, tenantId, id);
          await this.triggers.in(manager).update(tenantId, id, values);
          await this.audit.record(manager, null, {
            action: 'record-trigger.update',
            entityType: 'record-trigger',
            entityId: id,
            before,
            after: await this.get(tenantId, id, manager),
          });
        }),
      `a record trigger with code "${dto.code}" already exists`,
    );
    return this.get(tenantId, id);
  }

  /** Deletes the trigger: it publishes nothing more; events it published stay as deliveries. */
  async remove(tenantId: string, id: string): Promise<RecordTriggerView> {
    requireUuid(id, 'record trigger');
    return this.dataSource.transaction(async (manager) => {
      const before = await this.locked(manager, tenantId, id);
      await this.triggers.in(manager).delete(tenantId, id);
      await this.audit.record(manager, null, {
        action: 'record-trigger.delete',
        entityType: 'record-trigger',
        entityId: id,
        before,
      });
      return before;
    });
  }

  private async locked(
    manager: EntityManager,
    tenantId: string,
    id: string,
  ): Promise<RecordTriggerView> {
    const row = await this.triggers.in(manager).findOwned(tenantId, id, { lock: true });
    if (!row) throw new NotFoundException(`record trigger ${id} not found`);
    return toView(row);
  }
}

/** The DTO as stored values, or a 400 naming every bad field (nothing is written). */
function checked(dto: SaveRecordTriggerDto): RecordTriggerValues {
  const problems = recordTriggerProblems(dto);
  if (problems.length > 0) throw validationFailure(problemsByField(problems));
  return {
    code: dto.code,
    name: dto.name,
    model: dto.model,
    operations: dto.operations,
    changedFields: dto.changedFields ?? [],
    conditions: (dto.conditions ?? []).map((condition) => ({ ...condition })),
    eventType: dto.eventType ?? null,
    active: dto.active ?? true,
  };
}

function toView(row: RecordTriggerRow): RecordTriggerView {
  return {
    id: row.id,
    code: row.code,
    name: row.name,
    model: row.model,
    operations: row.operations,
    changedFields: row.changedFields,
    conditions: row.conditions,
    eventType: row.eventType,
    publishes: row.eventType
      ? [row.eventType]
      : row.operations.map((operation) => defaultRecordEventType(row.model, operation)),
    active: row.active,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}
