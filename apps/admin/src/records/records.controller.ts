import { Controller, Get, Param, Query, UseGuards } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiOkResponse,
  ApiOperation,
  ApiProperty,
  ApiQuery,
  ApiTags,
} from '@nestjs/swagger';
import { prototypeKeyIn } from '@app/core';
import { ApiKeyGuard, CurrentPrincipal } from '../auth/api-key.guard';
import type { Principal } from '../auth/principal';
import { ApiErrors, ApiPageResponse } from '../common/openapi';
import type { Page } from '../common/pagination';
import { validationFailure } from '../common/validation';
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

/** The records store (SPEC §6), read-only over HTTP; the query string names the filters. */
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
}
