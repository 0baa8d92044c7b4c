import {
  Body,
  Controller,
  Get,
  HttpCode,
  Param,
  Post,
  Query,
  Res,
  UseGuards,
} from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBearerAuth,
  ApiExtraModels,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
  getSchemaPath,
} from '@nestjs/swagger';
import { AllowPublisher, ApiKeyGuard, CurrentPrincipal, RequireRole } from '../auth/api-key.guard';
import type { Principal } from '../auth/principal';
import { ApiErrors, ApiPageResponse, MatchedResponse } from '../common/openapi';
import type { Page } from '../common/pagination';
import type { Response } from 'express';
import {
  CreateDeliveryDto,
  CreateDeliveryQuery,
  ListDeliveriesQuery,
  ReplayDeliveriesDto,
} from './delivery.dto';
import {
  DeliveryDetailResponse,
  DeliveryOutcomeResponse,
  DeliveryResponse,
  DeliverySummaryResponse,
  ReplayedResponse,
} from './delivery.response';
import {
  DeliveriesService,
  type DeliveryDetail,
  type DeliverySummary,
  type DeliveryView,
} from './deliveries.service';
import { Idempotent } from '../idempotency/idempotency.interceptor';
import { DeliverAndWait } from './deliver-and-wait.use-case';
import type { DeliveryOutcome } from './delivery.views';

@ApiTags('deliveries')
@ApiBearerAuth()
@ApiErrors(401)
@UseGuards(ApiKeyGuard)
@Controller('api/v1/deliveries')
export class DeliveriesController {
  constructor(
    private readonly deliveries: DeliveriesService,
    private readonly deliverAndWait: DeliverAndWait,
  ) {}

  @Post()
  @Idempotent()
  @HttpCode(202)
  @RequireRole('admin')
  @AllowPublisher()
  @ApiOperation({
    operationId: 'createDelivery',
    summary: 'Send one delivery to one endpoint',
    description:
      'The admin twin of the `deliver` job. The idempotency key is unique per endpoint: a repeat ' +
      'answers the stored delivery with `duplicate: true`. With `wait` (seconds, at most 30) the ' +
      "answer waits for the delivery's first attempt: 200 with its outcome when it comes in " +
      'time, else 202 as without `wait`; the delivery is stored and retried as usual either way.',
  })
  @ApiOkResponse({
    type: DeliveryOutcomeResponse,
    description: "with `wait`: the delivery's first attempt came within the wait",
  })
  @ApiAcceptedResponse({
    type: DeliveryResponse,
    description:
      'stored (an unknown or archived endpoint: as dead_letter); with `wait`, no attempt within it',
  })
  @ApiErrors(400)
  async deliver(
    @CurrentPrincipal() principal: Principal,
    @Body() dto: CreateDeliveryDto,
    @Query() query: CreateDeliveryQuery,
    @Res({ passthrough: true }) response: Response,
  ): Promise<DeliveryView | DeliveryOutcome> {
    if (!query.wait) return this.deliveries.deliver(principal.tenantId, dto);
    // A client that goes away ends the wait (the delivery goes on as usual).
    const gone = new AbortController();
    const onClose = () => gone.abort();
    response.once('close', onClose);
    try {
      const answer = await this.deliverAndWait.execute(
        principal.tenantId,
        dto,
        query.wait,
        gone.signal,
      );
      response.status(answer.status);
      return answer.body;
    } finally {
      response.off('close', onClose);
    }
  }

  @Get()
  @AllowPublisher()
  @ApiOperation({
    operationId: 'listDeliveries',
    summary: 'List deliveries',
    description:
      'Newest first, keyset-paginated; filters combine. `sourceEventId` lists what one inbound ' +
      'event forwarded; `idempotencyKey` finds a delivery by the key its publisher gave.',
  })
  @ApiPageResponse(DeliverySummaryResponse, 'a page of deliveries (without payloads)')
  @ApiErrors(400)
  list(
    @CurrentPrincipal() principal: Principal,
    @Query() query: ListDeliveriesQuery,
  ): Promise<Page<DeliverySummary>> {
    return this.deliveries.list(principal.tenantId, query);
  }

  @Post('replay')
  @HttpCode(200)
  @ApiOperation({
    operationId: 'replayDeliveries',
    summary: 'Replay deliveries in bulk',
    description:
      'Queues again every error/dead_letter delivery matching the filter whose endpoint is ' +
      'not archived (held as draft while the endpoint is not active). With `dryRun: true` it ' +
      'only answers how many it would replay now, changing and auditing nothing.',
  })
  @ApiExtraModels(ReplayedResponse, MatchedResponse)
  @ApiOkResponse({
    description: 'how many deliveries were replayed (`{ matched }` for a dry run)',
    schema: {
      oneOf: [{ $ref: getSchemaPath(ReplayedResponse) }, { $ref: getSchemaPath(MatchedResponse) }],
    },
  })
  @ApiErrors(400)
  replay(
    @CurrentPrincipal() principal: Principal,
    @Body() filter: ReplayDeliveriesDto,
  ): Promise<{ replayed: number } | { matched: number }> {
    return this.deliveries.replay(principal.tenantId, filter);
  }

  @Get(':id')
  @AllowPublisher()
  @ApiOperation({
    operationId: 'getDelivery',
    summary: 'Get a delivery',
    description: 'With its attempt log.',
  })
  @ApiOkResponse({ type: DeliveryDetailResponse, description: 'the delivery and its attempts' })
  @ApiErrors(404)
  get(@CurrentPrincipal() principal: Principal, @Param('id') id: string): Promise<DeliveryDetail> {
    return this.deliveries.get(principal.tenantId, id);
  }

  @Post(':id/reset')
  @HttpCode(200)
  @ApiOperation({
    operationId: 'resetDelivery',
    summary: 'Reset a delivery to draft',
    description: 'error, dead_letter or canceled → draft (queue it to send it again).',
  })
  @ApiOkResponse({ type: DeliveryDetailResponse, description: 'the delivery after the action' })
  @ApiErrors(404, 409)
  reset(
    @CurrentPrincipal() principal: Principal,
    @Param('id') id: string,
  ): Promise<DeliveryDetail> {
    return this.deliveries.act(principal.tenantId, id, 'reset');
  }

  @Post(':id/queue')
  @HttpCode(200)
  @ApiOperation({
    operationId: 'queueDelivery',
    summary: 'Queue a draft delivery',
    description: 'draft → queued: the dispatcher sends it.',
  })
  @ApiOkResponse({ type: DeliveryDetailResponse, description: 'the delivery after the action' })
  @ApiErrors(404, 409)
  queue(
    @CurrentPrincipal() principal: Principal,
    @Param('id') id: string,
  ): Promise<DeliveryDetail> {
    return this.deliveries.act(principal.tenantId, id, 'queue');
  }

  @Post(':id/dead-letter')
  @HttpCode(200)
  @ApiOperation({
    operationId: 'deadLetterDelivery',
    summary: 'Dead-letter a delivery',
    description: 'draft, queued or error → dead_letter.',
  })
  @ApiOkResponse({ type: DeliveryDetailResponse, description: 'the delivery after the action' })
  @ApiErrors(404, 409)
  deadLetter(
    @CurrentPrincipal() principal: Principal,
    @Param('id') id: string,
  ): Promise<DeliveryDetail> {
    return this.deliveries.act(principal.tenantId, id, 'dead-letter');
  }

  @Post(':id/cancel')
  @HttpCode(200)
  @ApiOperation({
    operationId: 'cancelDelivery',
    summary: 'Cancel a delivery',
    description: 'draft, queued, error or dead_letter → canceled.',
  })
  @ApiOkResponse({ type: DeliveryDetailResponse, description: 'the delivery after the action' })
  @ApiErrors(404, 409)
  cancel(
    @CurrentPrincipal() principal: Principal,
    @Param('id') id: string,
  ): Promise<DeliveryDetail> {
    return this.deliveries.act(principal.tenantId, id, 'cancel');
  }
}
