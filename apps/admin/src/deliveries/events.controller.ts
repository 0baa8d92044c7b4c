import { Body, Controller, HttpCode, Post, UseGuards } from '@nestjs/common';
import { ApiAcceptedResponse, ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { ApiKeyGuard, CurrentPrincipal, RequireRole } from '../auth/api-key.guard';
import type { Principal } from '../auth/principal';
import { PublishEventDto } from './delivery.dto';
import { DeliveriesService, type DeliveryView } from './deliveries.service';

/** `POST /api/v1/events`: fan-out publishing, the admin twin of the `publish` job. */
@ApiTags('deliveries')
@ApiBearerAuth()
@UseGuards(ApiKeyGuard)
@Controller('api/v1/events')
export class EventsController {
  constructor(private readonly deliveries: DeliveriesService) {}

  @Post()
  @HttpCode(202)
  @RequireRole('admin')
  @ApiAcceptedResponse({ description: 'one delivery per subscribed endpoint (maybe none)' })
  publish(
    @CurrentPrincipal() principal: Principal,
    @Body() dto: PublishEventDto,
  ): Promise<{ deliveries: DeliveryView[] }> {
    return this.deliveries.publish(principal.tenantId, dto);
  }
}
