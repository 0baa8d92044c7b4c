import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  Param,
  Post,
  Put,
  Query,
  UseGuards,
} from '@nestjs/common';
import { ApiAcceptedResponse, ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { ApiKeyGuard, CurrentPrincipal, RequireRole } from '../auth/api-key.guard';
import type { Principal } from '../auth/principal';
import type { Page } from '../common/pagination';
import type { DeliveryView } from '../deliveries/deliveries.service';
import {
  CreateOutboundEndpointDto,
  ListOutboundEndpointsQuery,
  TestDeliveryDto,
  UpdateOutboundEndpointDto,
} from './outbound-endpoint.dto';
import { OutboundEndpointsService, type OutboundEndpointView } from './outbound-endpoints.service';

@ApiTags('outbound endpoints')
@ApiBearerAuth()
@UseGuards(ApiKeyGuard)
@Controller('api/v1/outbound-endpoints')
export class OutboundEndpointsController {
  constructor(private readonly endpoints: OutboundEndpointsService) {}

  @Get()
  list(
    @CurrentPrincipal() principal: Principal,
    @Query() query: ListOutboundEndpointsQuery,
  ): Promise<Page<OutboundEndpointView>> {
    return this.endpoints.list(principal.tenantId, query);
  }

  @Post()
  @RequireRole('admin')
  create(
    @CurrentPrincipal() principal: Principal,
    @Body() dto: CreateOutboundEndpointDto,
  ): Promise<OutboundEndpointView> {
    return this.endpoints.create(principal.tenantId, dto);
  }

  @Get(':id')
  get(
    @CurrentPrincipal() principal: Principal,
    @Param('id') id: string,
  ): Promise<OutboundEndpointView> {
    return this.endpoints.get(principal.tenantId, id);
  }

  @Put(':id')
  @RequireRole('admin')
  update(
    @CurrentPrincipal() principal: Principal,
    @Param('id') id: string,
    @Body() dto: UpdateOutboundEndpointDto,
  ): Promise<OutboundEndpointView> {
    return this.endpoints.update(principal.tenantId, id, dto);
  }

  /** DELETE archives (deliveries keep pointing at their endpoint); repeating it is harmless. */
  @Delete(':id')
  @RequireRole('admin')
  remove(
    @CurrentPrincipal() principal: Principal,
    @Param('id') id: string,
  ): Promise<OutboundEndpointView> {
    return this.endpoints.archive(principal.tenantId, id, { idempotent: true });
  }

  @Post(':id/activate')
  @HttpCode(200)
  @RequireRole('admin')
  activate(
    @CurrentPrincipal() principal: Principal,
    @Param('id') id: string,
  ): Promise<OutboundEndpointView> {
    return this.endpoints.activate(principal.tenantId, id);
  }

  @Post(':id/archive')
  @HttpCode(200)
  @RequireRole('admin')
  archive(
    @CurrentPrincipal() principal: Principal,
    @Param('id') id: string,
  ): Promise<OutboundEndpointView> {
    return this.endpoints.archive(principal.tenantId, id);
  }

  @Post(':id/test')
  @HttpCode(202)
  @RequireRole('admin')
  @ApiAcceptedResponse({ description: 'the test delivery (isTest: true)' })
  test(
    @CurrentPrincipal() principal: Principal,
    @Param('id') id: string,
    @Body() dto: TestDeliveryDto,
  ): Promise<DeliveryView> {
    return this.endpoints.test(principal.tenantId, id, dto);
  }
}
