import { Body, Controller, Delete, Get, Param, Post, Put, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { ApiKeyGuard, CurrentPrincipal, RequireRole } from '../auth/api-key.guard';
import type { Principal } from '../auth/principal';
import { CreateInboundEndpointDto, UpdateInboundEndpointDto } from './inbound-endpoint.dto';
import { InboundEndpointsService, type InboundEndpointView } from './inbound-endpoints.service';

@ApiTags('inbound endpoints')
@ApiBearerAuth()
@UseGuards(ApiKeyGuard)
@Controller('api/v1/inbound-endpoints')
export class InboundEndpointsController {
  constructor(private readonly endpoints: InboundEndpointsService) {}

  @Get()
  list(@CurrentPrincipal() principal: Principal): Promise<InboundEndpointView[]> {
    return this.endpoints.list(principal.tenantId);
  }

  @Post()
  @RequireRole('admin')
  create(
    @CurrentPrincipal() principal: Principal,
    @Body() dto: CreateInboundEndpointDto,
  ): Promise<InboundEndpointView> {
    return this.endpoints.create(principal.tenantId, dto);
  }

  @Get(':id')
  get(
    @CurrentPrincipal() principal: Principal,
    @Param('id') id: string,
  ): Promise<InboundEndpointView> {
    return this.endpoints.get(principal.tenantId, id);
  }

  @Put(':id')
  @RequireRole('admin')
  update(
    @CurrentPrincipal() principal: Principal,
    @Param('id') id: string,
    @Body() dto: UpdateInboundEndpointDto,
  ): Promise<InboundEndpointView> {
    return this.endpoints.update(principal.tenantId, id, dto);
  }

  @Delete(':id')
  @RequireRole('admin')
  deactivate(
    @CurrentPrincipal() principal: Principal,
    @Param('id') id: string,
  ): Promise<InboundEndpointView> {
    return this.endpoints.deactivate(principal.tenantId, id);
  }
}
