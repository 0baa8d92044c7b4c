import { Body, Controller, Delete, Get, Param, Post, Put, Query, UseGuards } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiBody,
  ApiCreatedResponse,
  ApiOkResponse,
  ApiOperation,
  ApiProperty,
  ApiQuery,
  ApiTags,
} from '@nestjs/swagger';
import { prototypeKeyIn, type RecordData } from '@app/core';
import { ApiKeyGuard, CurrentPrincipal } from '../auth/api-key.guard';
import type { Principal } from '../auth/principal';
import { ApiErrors, ApiPageResponse } from '../common/openapi';
import type { Page } from '../common/pagination';
import { validationFailure } from '../common/validation';
import { Idempotent } from '../idempotency/idempotency.interceptor';
import { SLUG } from '../handlers/handler.dto';
import { SaveRecordDto } from './record.dto';
import { RecordsService, type RecordView } from './records.service';

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

const RESERVED = new Set(['limit', 'cursor']);

/**
 * The records store (SPEC §6) over HTTP; the query string names the filters. Writes
 * (operator or admin keys, never publisher keys) are audited and fire the model's
 * record-change triggers in their transaction (SPEC §11).
 */
@ApiTags('records')
@ApiBearerAuth()
@ApiErrors(401)
@UseGuards(ApiKeyGuard)
@Controller('api/v1/records')
export class RecordsController {
  constructor(private readonly records: RecordsService) {}

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
    return this.records.list(principal.tenantId, model, {
      filters,
      limit: limitRaw,
      cursor: typeof query.cursor === 'string' ? query.cursor : undefined,
    });
  }

  @Get(':model/:id')
  @ApiOperation({ operationId: 'getRecord', summary: 'Get a record' })
  @ApiOkResponse({ type: RecordResponse, description: 'the record' })
  @ApiErrors(404)
  get(
    @CurrentPrincipal() principal: Principal,
    @Param('model') model: string,
    @Param('id') id: string,
  ): Promise<RecordView> {
    return this.records.get(principal.tenantId, model, id);
  }

  @Post(':model')
  @Idempotent()
  @ApiOperation({
    operationId: 'createRecord',
    summary: 'Create a record',
    description:
      'Writes a record of the model and, in the same transaction, the deliveries of the ' +
      'record triggers its creation fires. Needs an operator or admin key.',
  })
  @ApiBody({ type: SaveRecordDto })
  @ApiCreatedResponse({ type: RecordResponse, description: 'the record as stored' })
  @ApiErrors(400, 403)
  create(
    @CurrentPrincipal() principal: Principal,
    @Param('model') model: string,
    @Body() body: Record<string, unknown>,
  ): Promise<RecordView> {
    return this.records.create(principal.tenantId, checkedModel(model), checkedData(body));
  }

  @Put(':model/:id')
  @ApiOperation({
    operationId: 'replaceRecord',
    summary: 'Replace a record’s data',
    description:
      'Replaces the data as a whole; a change fires the `updated` triggers (a write that ' +
      'changes nothing fires none). Needs an operator or admin key.',
  })
  @ApiBody({ type: SaveRecordDto })
  @ApiOkResponse({ type: RecordResponse, description: 'the record as stored' })
  @ApiErrors(400, 403, 404)
  replace(
    @CurrentPrincipal() principal: Principal,
    @Param('model') model: string,
    @Param('id') id: string,
    @Body() body: Record<string, unknown>,
  ): Promise<RecordView> {
    return this.records.replace(principal.tenantId, checkedModel(model), id, checkedData(body));
  }

  @Delete(':model/:id')
  @ApiOperation({
    operationId: 'deleteRecord',
    summary: 'Delete a record',
    description:
      'Fires the `deleted` triggers with the data as it was. Needs an operator or admin key.',
  })
  @ApiOkResponse({ type: RecordResponse, description: 'the record as it was' })
  @ApiErrors(403, 404)
  remove(
    @CurrentPrincipal() principal: Principal,
    @Param('model') model: string,
    @Param('id') id: string,
  ): Promise<RecordView> {
    return this.records.remove(principal.tenantId, model, id);
  }
}

const MAX_MODEL_LENGTH = 100;

function checkedModel(model: string): string {
  if (!SLUG.test(model) || model.length > MAX_MODEL_LENGTH) {
    throw validationFailure([
      { field: 'model', problems: ['model must be a lowercase slug of at most 100 characters'] },
    ]);
  }
  return model;
}

/**
 * The body's `data`: a JSON object whose keys (at any depth, dotted or not) name no
 * prototype key. The body is read as parsed (the DTO documents it): class-transformer
 * would drop a `__proto__` key unseen and throw on a `constructor` one.
 */
function checkedData(body: unknown): RecordData {
  const isObject = (value: unknown): value is Record<string, unknown> =>
    value !== null && typeof value === 'object' && !Array.isArray(value);
  if (!isObject(body)) {
    throw validationFailure([{ field: 'body', problems: ['the body must be a JSON object'] }]);
  }
  const extra = Object.keys(body).filter((key) => key !== 'data');
  if (extra.length > 0) {
    throw validationFailure(
      extra.map((key) => ({ field: key, problems: [`property ${key} should not exist`] })),
    );
  }
  const data = body.data;
  if (!isObject(data)) {
    throw validationFailure([{ field: 'data', problems: ['data must be a JSON object'] }]);
  }
  const problems: Array<{ field: string; problems: string[] }> = [];
  const walk = (value: unknown, path: string): void => {
    if (problems.length > 0 || value === null || typeof value !== 'object') return;
    for (const [key, child] of Object.entries(value)) {
      const found = prototypeKeyIn(key);
      const at = path === '' ? key : `${path}.${key}`;
      if (found !== undefined) {
        problems.push({ field: `data.${at}`, problems: [`a data key may not name "${found}"`] });
        return;
      }
      walk(child, at);
    }
  };
  walk(data, '');
  if (problems.length > 0) throw validationFailure(problems);
  return data;
}
