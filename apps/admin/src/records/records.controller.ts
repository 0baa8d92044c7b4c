import { Controller, Get, NotFoundException, Param, Query, UseGuards } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiOkResponse,
  ApiOperation,
  ApiProperty,
  ApiQuery,
  ApiTags,
} from '@nestjs/swagger';
import { DataSource } from 'typeorm';
import { cloneData, prototypeKeyIn, writeAt } from '@app/core';
import { ApiKeyGuard, CurrentPrincipal } from '../auth/api-key.guard';
import type { Principal } from '../auth/principal';
import { requireUuid } from '../common/ids';
import { ApiErrors, ApiPageResponse } from '../common/openapi';
import { afterCursor, toPage, type Page } from '../common/pagination';
import { validationFailure } from '../common/validation';

/**
 * The records store (SPEC §6), read-only over HTTP: `GET /records/:model?field=value`
 * filters by equality on data fields (dot paths allowed) through the JSONB GIN index.
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

class RecordResponse implements RecordView {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({ example: 'issues' })
  model: string;

  @ApiProperty({ example: { number: 42, title: 'Crash on save' } })
  data: unknown;

  @ApiProperty({ type: String, format: 'uuid', nullable: true })
  createdByEvent: string | null;

  @ApiProperty({ type: String, format: 'uuid', nullable: true })
  updatedByEvent: string | null;

  @ApiProperty({ format: 'date-time' })
  createdAt: string;

  @ApiProperty({ format: 'date-time' })
  updatedAt: string;
}

type Row = Record<string, unknown>;
const RESERVED = new Set(['limit', 'cursor']);

function toView(row: Row): RecordView {
  return {
    id: String(row.id),
    model: String(row.model),
    data: row.data,
    createdByEvent: (row.created_by_event as string | null) ?? null,
    updatedByEvent: (row.updated_by_event as string | null) ?? null,
    createdAt: new Date(row.created_at as string).toISOString(),
    updatedAt: new Date(row.updated_at as string).toISOString(),
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

@ApiTags('records')
@ApiBearerAuth()
@ApiErrors(401)
@UseGuards(ApiKeyGuard)
@Controller('api/v1/records')
export class RecordsController {
  constructor(private readonly dataSource: DataSource) {}

  @Get(':model')
  @ApiOperation({
    operationId: 'listRecords',
    summary: 'List records of a model',
    description:
      'Any other query parameter filters by equality on a data field (`?customer.email=a@b.c`, ' +
      'at most 8); a number-like or boolean value also matches its typed form.',
  })
  @ApiQuery({
    name: 'limit',
    required: false,
    schema: { type: 'integer', default: 50, maximum: 500 },
  })
  @ApiQuery({ name: 'cursor', required: false, description: 'nextCursor of the previous page' })
  @ApiPageResponse(RecordResponse, 'a page of records, newest first')
  @ApiErrors(400)
  async list(
    @CurrentPrincipal() principal: Principal,
    @Param('model') model: string,
    @Query() query: Record<string, string | string[]>,
  ): Promise<Page<RecordView>> {
    const limitRaw = typeof query.limit === 'string' ? Number(query.limit) : 50;
    if (!Number.isInteger(limitRaw) || limitRaw < 1 || limitRaw > 500) {
      throw validationFailure([
        { field: 'limit', problems: ['limit must be a whole number from 1 to 500'] },
      ]);
    }
    const filters = Object.entries(query)
      .filter(([key]) => !RESERVED.has(key))
      .map(([key, value]) => [key, Array.isArray(value) ? value[0] : value] as [string, string]);
    if (filters.length > 8)
      throw validationFailure([{ field: 'query', problems: ['at most 8 field filters'] }]);
    // A filter name is a path the filter document is built along: one that names
    // `__proto__`, `constructor` or `prototype` (dotted or bracketed) once wrote to
    // Object.prototype of this process. It is refused as a bad request, before anything.
    const unsafe = filters.flatMap(([key]) => {
      const found = prototypeKeyIn(key);
      return found === undefined
        ? []
        : [{ field: key, problems: [`a filter may not name "${found}"`] }];
    });
    if (unsafe.length > 0) throw validationFailure(unsafe);
    const params: unknown[] = [principal.tenantId, model];
    const where = ['tenant_id = $1', 'model = $2'];
    if (filters.length > 0) {
      // One containment per typing variant (`42` may be stored as a number or a string),
      // OR-ed so Postgres can combine GIN index scans.
      const docs = containment(filters).slice(0, 16);
      const ors = docs.map((doc) => {
        params.push(JSON.stringify(doc));
        return `data @> $${params.length}::jsonb`;
      });
      where.push(`(${ors.join(' OR ')})`);
    }
    const after = afterCursor(typeof query.cursor === 'string' ? query.cursor : undefined, params, {
      time: 'created_at',
      id: 'id',
    });
    if (after) where.push(after);
    params.push(limitRaw + 1);
    const rows: Row[] = await this.dataSource.query(
      `SELECT * FROM records WHERE ${where.join(' AND ')} ORDER BY created_at DESC, id DESC LIMIT $${params.length}`,
      params,
    );
    return toPage(rows, limitRaw, toView, (row) => ({
      at: new Date(row.created_at as string).toISOString(),
      id: String(row.id),
    }));
  }

  @Get(':model/:id')
  @ApiOperation({ operationId: 'getRecord', summary: 'Get a record' })
  @ApiOkResponse({ type: RecordResponse, description: 'the record' })
  @ApiErrors(404)
  async get(
    @CurrentPrincipal() principal: Principal,
    @Param('model') model: string,
    @Param('id') id: string,
  ): Promise<RecordView> {
    const rows: Row[] = await this.dataSource.query(
      `SELECT * FROM records WHERE id = $1 AND tenant_id = $2 AND model = $3`,
      [requireUuid(id, 'record'), principal.tenantId, model],
    );
    if (!rows[0]) throw new NotFoundException(`record ${model}/${id} not found`);
    return toView(rows[0]);
  }
}
