import {
  Body,
  Controller,
  Get,
  HttpCode,
  Param,
  ParseEnumPipe,
  Post,
  Query,
  UseGuards,
} from '@nestjs/common';
import { ApiBearerAuth, ApiParam, ApiTags } from '@nestjs/swagger';
import { ApiKeyGuard, CurrentPrincipal } from '../auth/api-key.guard';
import type { Principal } from '../auth/principal';
import type { Page } from '../common/pagination';
import { ListInboundEventsQuery, ReprocessInboundEventsDto } from './inbound-events.dto';
import {
  InboundEventsService,
  type InboundEventAction,
  type InboundEventSummary,
  type InboundEventView,
} from './inbound-events.service';

enum EventActionParam {
  reset = 'reset',
  process = 'process',
  deadLetter = 'dead-letter',
}

@ApiTags('inbound events')
@ApiBearerAuth()
@UseGuards(ApiKeyGuard)
@Controller('api/v1/inbound-events')
export class InboundEventsController {
  constructor(private readonly events: InboundEventsService) {}

  @Get()
  list(
    @CurrentPrincipal() principal: Principal,
    @Query() query: ListInboundEventsQuery,
  ): Promise<Page<InboundEventSummary>> {
    return this.events.list(principal.tenantId, query);
  }

  @Post('reprocess')
  @HttpCode(200)
  reprocess(
    @CurrentPrincipal() principal: Principal,
    @Body() filter: ReprocessInboundEventsDto,
  ): Promise<{ reprocessed: number }> {
    return this.events.reprocess(principal.tenantId, filter);
  }

  @Get(':id')
  get(
    @CurrentPrincipal() principal: Principal,
    @Param('id') id: string,
  ): Promise<InboundEventView> {
    return this.events.get(principal.tenantId, id);
  }

  @Post(':id/:action')
  @HttpCode(200)
  @ApiParam({ name: 'action', enum: EventActionParam })
  act(
    @CurrentPrincipal() principal: Principal,
    @Param('id') id: string,
    @Param('action', new ParseEnumPipe(EventActionParam)) action: EventActionParam,
  ): Promise<InboundEventView> {
    return this.events.act(principal.tenantId, id, action as InboundEventAction);
  }
}
