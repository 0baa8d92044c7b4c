import { Controller, Get, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiProperty, ApiTags } from '@nestjs/swagger';
import { RecordsRepository } from '@app/persistence';
import { ApiKeyGuard, CurrentPrincipal } from '../auth/api-key.guard';
import type { Principal } from '../auth/principal';
import { ApiErrors } from '../common/openapi';

/**
 * The record models of the caller's tenant (SPEC §6), read-only: each model that holds
 * records or that a rule writes (`targetModel`), with the handlers whose rules write it
 * and the data fields those rules assign or look up by. What the console offers to pick
 * from, and the columns it shows, instead of a model name typed blind.
 */
export interface RecordModelView {
  model: string;
  hasRecords: boolean;
  handlers: string[];
  fields: string[];
}

class RecordModelResponse implements RecordModelView {
  @ApiProperty({ example: 'issues' })
  model: string;

  @ApiProperty({ description: 'whether the tenant holds any record of the model' })
  hasRecords: boolean;

  @ApiProperty({
    type: [String],
    example: ['github-issues'],
    description: 'codes of the handlers with a rule that writes the model, by code',
  })
  handlers: string[];

  @ApiProperty({
    type: [String],
    example: ['number', 'title'],
    description: "the data fields those rules' assignments and lookups name, sorted",
  })
  fields: string[];
}

/** At most this many stored models are listed (each costs one index probe). */
const MAX_MODELS = 500;

@ApiTags('records')
@ApiBearerAuth()
@ApiErrors(401)
@UseGuards(ApiKeyGuard)
@Controller('api/v1/record-models')
export class RecordModelsController {
  constructor(private readonly records: RecordsRepository) {}

  @Get()
  @ApiOperation({
    operationId: 'listRecordModels',
    summary: 'List record models',
    description:
      'The models of the caller’s tenant, by name: those holding records (at most ' +
      `${MAX_MODELS}) and those a rule writes, each with the handlers that write it and the ` +
      'fields their rules assign or look up by. Any key of the tenant may read it.',
  })
  @ApiOkResponse({ type: [RecordModelResponse], description: 'the models, by name' })
  async list(@CurrentPrincipal() principal: Principal): Promise<RecordModelView[]> {
    const stored = await this.records.storedModels(principal.tenantId, MAX_MODELS);
    const written = await this.records.writtenModels(principal.tenantId);
    const models = new Map<
      string,
      { hasRecords: boolean; handlers: Set<string>; fields: Set<string> }
    >();
    const entry = (model: string) => {
      let found = models.get(model);
      if (!found) {
        found = { hasRecords: false, handlers: new Set(), fields: new Set() };
        models.set(model, found);
      }
      return found;
    };
    for (const model of stored) entry(model).hasRecords = true;
    for (const row of written) {
      const model = entry(row.model);
      model.handlers.add(row.code);
      for (const item of [...listOf(row.assignments), ...listOf(row.lookups)]) {
        const field = (item as { field?: unknown } | null)?.field;
        if (typeof field === 'string' && field !== '') model.fields.add(field);
      }
    }
    return [...models.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([model, found]) => ({
        model,
        hasRecords: found.hasRecords,
        handlers: [...found.handlers].sort(),
        fields: [...found.fields].sort(),
      }));
  }
}

const listOf = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);
