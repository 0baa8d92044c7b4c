import { Body, Controller, HttpCode, Post, UseGuards } from '@nestjs/common';
import { ApiAcceptedResponse, ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { AllowPublisher, ApiKeyGuard, CurrentPrincipal, RequireRole } from '../auth/api-key.guard';
import type { Principal } from '../auth/principal';
import { ApiErrors } from '../common/openapi';
import { PublishEventDto } from './delivery.dto';
import { PublishedDeliveriesResponse } from './delivery.response';
import { DeliveriesService, type DeliveryView } from './deliveries.service';
import { Idempotent } from '../idempotency/idempotency.interceptor';

/** `POST /api/v1/events`: fan-out publishing, the admin twin of the `publish` job. */
@ApiTags('deliveries')
@ApiBearerAuth()
@ApiErrors(401)
@UseGuards(ApiKeyGuard)
@Controller('api/v1/events')
export class EventsController {
  constructor(private readonly deliveries: DeliveriesService) {}

  @Post()
  @Idempotent()
  @HttpCode(202)
  @RequireRole('admin')
  @AllowPublisher()
  @ApiOperation({
    operationId: 'publishEvent',
    summary: 'Publish an event to every subscribed endpoint',
    description:
      'The admin twin of the `publish` job: one delivery per endpoint whose ' +
      '`eventTypes` match (`order.*` matches `order.paid`).',
  })
  @ApiAcceptedResponse({
    type: PublishedDeliveriesResponse,
    description: 'one delivery per subscribed endpoint (maybe none)',
  })
  @ApiErrors(400)
  publish(
    @CurrentPrincipal() principal: Principal,
    @Body() dto: PublishEventDto,
  ): Promise<{ deliveries: DeliveryView[] }> {
    return this.deliveries.publish(principal.tenantId, dto);
  }
}
