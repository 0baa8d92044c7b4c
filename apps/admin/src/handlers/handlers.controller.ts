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
import { CreateHandlerDto, UpdateHandlerDto } from './handler.dto';
import { HandlerResponse } from './handler.response';
import { HandlersService, type HandlerView } from './handlers.service';
import { Idempotent } from '../idempotency/idempotency.interceptor';

@ApiTags('handlers')
@ApiBearerAuth()
@ApiErrors(401)
@UseGuards(ApiKeyGuard)
@Controller('api/v1/handlers')
export class HandlersController {
  constructor(private readonly handlers: HandlersService) {}

  @Get()
  @ApiOperation({
    operationId: 'listHandlers',
    summary: 'List handlers',
    description: 'Every handler of the tenant, rules nested.',
  })
  @ApiOkResponse({ type: [HandlerResponse], description: 'the handlers' })
  list(@CurrentPrincipal() principal: Principal): Promise<HandlerView[]> {
    return this.handlers.list(principal.tenantId);
  }

  @Post()
  @Idempotent()
  @RequireRole('admin')
  @ApiOperation({
    operationId: 'createHandler',
    summary: 'Create a handler',
    description: 'Rules are validated as a whole (conditions, lookups, assignments, targets).',
  })
  @ApiCreatedResponse({ type: HandlerResponse, description: 'the handler as stored' })
  @ApiErrors(400, 409)
  create(
    @CurrentPrincipal() principal: Principal,
    @Body() dto: CreateHandlerDto,
  ): Promise<HandlerView> {
    return this.handlers.create(principal.tenantId, dto);
  }

  @Get(':id')
  @ApiOperation({ operationId: 'getHandler', summary: 'Get a handler' })
  @ApiOkResponse({ type: HandlerResponse, description: 'the handler with its rules' })
  @ApiErrors(404)
  get(@CurrentPrincipal() principal: Principal, @Param('id') id: string): Promise<HandlerView> {
    return this.handlers.get(principal.tenantId, id);
  }

  @Put(':id')
  @RequireRole('admin')
  @ApiOperation({
    operationId: 'updateHandler',
    summary: 'Replace a handler',
    description: 'Replaces the fields and the whole rule list; `code` and `direction` are fixed.',
  })
  @ApiOkResponse({ type: HandlerResponse, description: 'the handler as stored' })
  @ApiErrors(400, 404)
  update(
    @CurrentPrincipal() principal: Principal,
    @Param('id') id: string,
    @Body() dto: UpdateHandlerDto,
  ): Promise<HandlerView> {
    return this.handlers.update(principal.tenantId, id, dto);
  }

  @Delete(':id')
  @RequireRole('admin')
  @ApiOperation({
    operationId: 'archiveHandler',
    summary: 'Archive a handler',
    description: 'The handler stays for the events that reference it but stops processing.',
  })
  @ApiOkResponse({ type: HandlerResponse, description: 'the archived handler' })
  @ApiErrors(404)
  archive(@CurrentPrincipal() principal: Principal, @Param('id') id: string): Promise<HandlerView> {
    return this.handlers.archive(principal.tenantId, id);
  }
}
