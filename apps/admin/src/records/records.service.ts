import { Injectable, NotFoundException } from '@nestjs/common';
import { cloneData, writeAt } from '@app/core';
import { RecordsRepository, type RecordEntity } from '@app/persistence';
import { requireUuid } from '../common/ids';
import { decodeCursor, toPage, type Page } from '../common/pagination';

/**
 * The records store (SPEC §6), read-only over HTTP: a model's records filtered by
 * equality on data fields (dot paths allowed) through the JSONB GIN index, and one record.
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
  constructor(private readonly records: RecordsRepository) {}

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
