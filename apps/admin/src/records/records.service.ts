import { Injectable, NotFoundException } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { cloneData, storableJson, writeAt, type RecordData, type StoredRecord } from '@app/core';
import { DeliveryQueue } from '@app/messaging';
import { RecordChangePublisher } from '@app/outbound';
import { RecordsRepository, type PostgresRecordStore, type RecordEntity } from '@app/persistence';
import { AuditService } from '../audit/audit.service';
import { requireUuid } from '../common/ids';
import { decodeCursor, toPage, type Page } from '../common/pagination';

/**
 * The records store (SPEC §6) over HTTP: a model's records filtered by equality on data
 * fields (dot paths allowed) through the JSONB GIN index, one record, and writes — create,
 * replace, delete — so services can use the store and its record-change triggers too.
 * Each write is one transaction holding the record change, its audit entry and the
 * deliveries of the triggers it fires (SPEC §11); the deliveries are enqueued after the
 * commit (the dispatcher's reconciler covers a lost enqueue).
 */
export interface RecordView {
  id: string;
  model: string;
  data: unknown;
  createdByEvent: string | null;
  updatedByEvent: string | null;
  createdAt: string;
  updatedAt: string;
}

@Injectable()
export class RecordsService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly records: RecordsRepository,
    private readonly changes: RecordChangePublisher,
    private readonly queue: DeliveryQueue,
    private readonly audit: AuditService,
  ) {}

  /** `data` has been checked by the controller (an object, no prototype keys). */
  async create(tenantId: string, model: string, data: RecordData): Promise<RecordView> {
    const record = await this.write(tenantId, async (store, manager) => {
      const created = await store.create(model, storableJson(data));
      await this.audit.record(manager, null, {
        action: 'record.create',
        entityType: 'record',
        entityId: created.id,
        after: { model, data: created.data },
      });
      return created;
    });
    return this.get(tenantId, model, record.id);
  }

  /** Replaces the record's data as a whole. */
  async replace(
    tenantId: string,
    model: string,
    id: string,
    data: RecordData,
  ): Promise<RecordView> {
    requireUuid(id, 'record');
    await this.write(tenantId, async (store, manager) => {
      const before = await this.records.in(manager).findOne(tenantId, model, id);
      const replaced = await store.replace(model, id, storableJson(data));
      if (!before || !replaced) throw new NotFoundException(`record ${model}/${id} not found`);
      await this.audit.record(manager, null, {
        action: 'record.update',
        entityType: 'record',
        entityId: id,
        before: { model, data: before.data },
        after: { model, data: replaced.data },
      });
      return replaced;
    });
    return this.get(tenantId, model, id);
  }

  async remove(tenantId: string, model: string, id: string): Promise<RecordView> {
    requireUuid(id, 'record');
    return this.write(tenantId, async (store, manager) => {
      const row = await this.records.in(manager).findOne(tenantId, model, id);
      if (!row || !(await store.delete(model, id))) {
        throw new NotFoundException(`record ${model}/${id} not found`);
      }
      await this.audit.record(manager, null, {
        action: 'record.delete',
        entityType: 'record',
        entityId: id,
        before: { model, data: row.data },
      });
      return toView(row);
    });
  }

  /** One transaction: the write, its audit entry, its triggers' deliveries; then enqueues. */
  private async write<T extends StoredRecord | RecordView>(
    tenantId: string,
    work: (store: PostgresRecordStore, manager: EntityManager) => Promise<T>,
  ): Promise<T> {
    const queued: string[] = [];
    const result = await this.dataSource.transaction((manager) =>
      work(this.changes.store(manager, tenantId, queued), manager),
    );
    if (queued.length > 0) this.queue.enqueueIds(queued);
    return result;
  }

  /** `filters`: checked field paths and their values (at most 8, no prototype keys). */
  async list(
    tenantId: string,
    model: string,
    query: { filters: Array<[string, string]>; limit: number; cursor: string | undefined },
  ): Promise<Page<RecordView>> {
    const rows = await this.records.list(tenantId, model, {
      containing: query.filters.length > 0 ? containment(query.filters).slice(0, 16) : [],
      after: decodeCursor(query.cursor),
      limit: query.limit,
    });
    return toPage(rows, query.limit, toView, (row) => ({
      at: row.createdAt.toISOString(),
      id: row.id,
    }));
  }

  async get(tenantId: string, model: string, id: string): Promise<RecordView> {
    const row = await this.records.findOne(tenantId, model, requireUuid(id, 'record'));
    if (!row) throw new NotFoundException(`record ${model}/${id} not found`);
    return toView(row);
  }
}

function toView(row: RecordEntity): RecordView {
  return {
    id: row.id,
    model: row.model,
    data: row.data,
    createdByEvent: row.createdByEvent ?? null,
    updatedByEvent: row.updatedByEvent ?? null,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

/**
 * `{ "a.b": "1" }` → `{ a: { b: "1" } }` for JSONB containment; numeric-looking values match
 * numbers too. Filter names are the caller's text: the documents are built by core's
 * untrusted-keys (`writeAt`), and names with a prototype key were refused before this.
 */
function containment(filters: Array<[string, string]>): Array<Record<string, unknown>> {
  const variants = (value: string): unknown[] => {
    const out: unknown[] = [value];
    if (/^-?\d+(\.\d+)?$/.test(value)) out.push(Number(value));
    if (value === 'true' || value === 'false') out.push(value === 'true');
    return out;
  };
  return filters
    .map(([path, value]) => {
      const segments = path.split('.');
      return { segments, values: variants(value) };
    })
    .reduce<Array<Record<string, unknown>>>(
      (acc, { segments, values }) =>
        acc.flatMap((doc) =>
          values.map((v) => {
            const copy = cloneData(doc);
            writeAt(copy, segments, v, segments.join('.'), { arrays: false });
            return copy;
          }),
        ),
      [{}],
    );
}
