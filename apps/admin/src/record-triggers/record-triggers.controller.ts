import { Body, Controller, Delete, Get, Param, Post, Put, UseGuards } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiCreatedResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { ApiKeyGuard, CurrentPrincipal, RequireRole } from '../auth/api-key.guard';
import type { Principal } from '../auth/principal';
import { ApiErrors } from '../common/openapi';
import { Idempotent } from '../idempotency/idempotency.interceptor';
import { SaveRecordTriggerDto } from './record-trigger.dto';
import { RecordTriggerResponse } from './record-trigger.response';
import { RecordTriggersService, type RecordTriggerView } from './record-triggers.service';

/** `/api/v1/record-triggers`: webhooks on records-store changes (SPEC §11). Writes need admin. */
@ApiTags('record-triggers')
@ApiBearerAuth()
@ApiErrors(401)
@UseGuards(ApiKeyGuard)
@Controller('api/v1/record-triggers')
export class RecordTriggersController {
  constructor(private readonly triggers: RecordTriggersService) {}

  @Get()
  @ApiOperation({
    operationId: 'listRecordTriggers',
    summary: 'List record triggers',
    description: 'Every record-change trigger of the tenant, by code.',
  })
  @ApiOkResponse({ type: [RecordTriggerResponse], description: 'the triggers' })
  list(@CurrentPrincipal() principal: Principal): Promise<RecordTriggerView[]> {
    return this.triggers.list(principal.tenantId);
  }

  @Post()
  @Idempotent()
  @RequireRole('admin')
  @ApiOperation({
    operationId: 'createRecordTrigger',
    summary: 'Create a record trigger',
    description:
      'A change of the model (created, updated, deleted) that passes the changed-field ' +
      'filter and the conditions publishes one event, with the record before and after, ' +
      'to the outbound endpoints subscribed to its type — in the transaction of the change.',
  })
  @ApiCreatedResponse({ type: RecordTriggerResponse, description: 'the trigger as stored' })
  @ApiErrors(400, 409)
  create(
    @CurrentPrincipal() principal: Principal,
    @Body() dto: SaveRecordTriggerDto,
  ): Promise<RecordTriggerView> {
    return this.triggers.create(principal.tenantId, dto);
  }

  @Get(':id')
  @ApiOperation({ operationId: 'getRecordTrigger', summary: 'Get a record trigger' })
  @ApiOkResponse({ type: RecordTriggerResponse, description: 'the trigger' })
  @ApiErrors(404)
  get(
    @CurrentPrincipal() principal: Principal,
    @Param('id') id: string,
  ): Promise<RecordTriggerView> {
    return this.triggers.get(principal.tenantId, id);
  }

  @Put(':id')
  @RequireRole('admin')
  @ApiOperation({
    operationId: 'updateRecordTrigger',
    summary: 'Replace a record trigger',
    description: 'Replaces every field; the next change of the model sees it.',
  })
  @ApiOkResponse({ type: RecordTriggerResponse, description: 'the trigger as stored' })
  @ApiErrors(400, 404, 409)
  update(
    @CurrentPrincipal() principal: Principal,
    @Param('id') id: string,
    @Body() dto: SaveRecordTriggerDto,
  ): Promise<RecordTriggerView> {
    return this.triggers.update(principal.tenantId, id, dto);
  }

  @Delete(':id')
  @RequireRole('admin')
  @ApiOperation({
    operationId: 'deleteRecordTrigger',
    summary: 'Delete a record trigger',
    description: 'It publishes nothing more; deliveries it already created are kept.',
  })
  @ApiOkResponse({ type: RecordTriggerResponse, description: 'the deleted trigger' })
  @ApiErrors(404)
  remove(
    @CurrentPrincipal() principal: Principal,
    @Param('id') id: string,
  ): Promise<RecordTriggerView> {
    return this.triggers.remove(principal.tenantId, id);
  }
}
