import { Body, Controller, Get, HttpCode, Param, Post, Query, UseGuards } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiExtraModels,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
  getSchemaPath,
} from '@nestjs/swagger';
import { ApiKeyGuard, CurrentPrincipal } from '../auth/api-key.guard';
import type { Principal } from '../auth/principal';
import { ApiErrors, ApiPageResponse, MatchedResponse } from '../common/openapi';
import type { Page } from '../common/pagination';
import { ListInboundEventsQuery, ReprocessInboundEventsDto } from './inbound-events.dto';
import {
  InboundEventResponse,
  InboundEventSummaryResponse,
  ReprocessedResponse,
} from './inbound-event.response';
import {
  InboundEventsService,
  type InboundEventSummary,
  type InboundEventView,
} from './inbound-events.service';

@ApiTags('inbound events')
@ApiBearerAuth()
@ApiErrors(401)
@UseGuards(ApiKeyGuard)
@Controller('api/v1/inbound-events')
export class InboundEventsController {
  constructor(private readonly events: InboundEventsService) {}

  @Get()
  @ApiOperation({
    operationId: 'listInboundEvents',
    summary: 'List inbound events',
    description: 'Newest first, keyset-paginated; filters combine.',
  })
  @ApiPageResponse(InboundEventSummaryResponse, 'a page of events (without bodies and logs)')
  @ApiErrors(400)
  list(
    @CurrentPrincipal() principal: Principal,
    @Query() query: ListInboundEventsQuery,
  ): Promise<Page<InboundEventSummary>> {
    return this.events.list(principal.tenantId, query);
  }

  @Post('reprocess')
  @HttpCode(200)
  @ApiOperation({
    operationId: 'reprocessInboundEvents',
    summary: 'Reprocess events in bulk',
    description:
      'Resets every error/dead_letter event matching the filter and queues it again (a `state` ' +
      'other than those two is a 409). With `dryRun: true` it only answers how many it would ' +
      'queue now, changing and auditing nothing.',
  })
  @ApiExtraModels(ReprocessedResponse, MatchedResponse)
  @ApiOkResponse({
    description: 'how many events were queued again (`{ matched }` for a dry run)',
    schema: {
      oneOf: [
        { $ref: getSchemaPath(ReprocessedResponse) },
        { $ref: getSchemaPath(MatchedResponse) },
      ],
    },
  })
  @ApiErrors(400, 409)
  reprocess(
    @CurrentPrincipal() principal: Principal,
    @Body() filter: ReprocessInboundEventsDto,
  ): Promise<{ reprocessed: number } | { matched: number }> {
    return this.events.reprocess(principal.tenantId, filter);
  }

  @Get(':id')
  @ApiOperation({
    operationId: 'getInboundEvent',
    summary: 'Get an inbound event',
    description: 'With bodies and the execution log.',
  })
  @ApiOkResponse({ type: InboundEventResponse, description: 'the event' })
  @ApiErrors(404)
  get(
    @CurrentPrincipal() principal: Principal,
    @Param('id') id: string,
  ): Promise<InboundEventView> {
    return this.events.get(principal.tenantId, id);
  }

  @Post(':id/reset')
  @HttpCode(200)
  @ApiOperation({
    operationId: 'resetInboundEvent',
    summary: 'Reset an inbound event',
    description: 'error or dead_letter → received, queued again.',
  })
  @ApiOkResponse({ type: InboundEventResponse, description: 'the event after the action' })
  @ApiErrors(404, 409)
  reset(
    @CurrentPrincipal() principal: Principal,
    @Param('id') id: string,
  ): Promise<InboundEventView> {
    return this.events.act(principal.tenantId, id, 'reset');
  }

  @Post(':id/process')
  @HttpCode(200)
  @ApiOperation({
    operationId: 'processInboundEvent',
    summary: 'Process a received inbound event now',
    description: 'Queues a received event for processing.',
  })
  @ApiOkResponse({ type: InboundEventResponse, description: 'the event after the action' })
  @ApiErrors(404, 409)
  process(
    @CurrentPrincipal() principal: Principal,
    @Param('id') id: string,
  ): Promise<InboundEventView> {
    return this.events.act(principal.tenantId, id, 'process');
  }

  @Post(':id/dead-letter')
  @HttpCode(200)
  @ApiOperation({
    operationId: 'deadLetterInboundEvent',
    summary: 'Dead-letter an inbound event',
    description: 'received or error → dead_letter.',
  })
  @ApiOkResponse({ type: InboundEventResponse, description: 'the event after the action' })
  @ApiErrors(404, 409)
  deadLetter(
    @CurrentPrincipal() principal: Principal,
    @Param('id') id: string,
  ): Promise<InboundEventView> {
    return this.events.act(principal.tenantId, id, 'dead-letter');
  }
}
