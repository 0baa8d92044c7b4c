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
import { CreateInboundEndpointDto, UpdateInboundEndpointDto } from './inbound-endpoint.dto';
import { InboundEndpointResponse } from './inbound-endpoint.response';
import { InboundEndpointsService, type InboundEndpointView } from './inbound-endpoints.service';
import { Idempotent } from '../idempotency/idempotency.interceptor';

@ApiTags('inbound endpoints')
@ApiBearerAuth()
@ApiErrors(401)
@UseGuards(ApiKeyGuard)
@Controller('api/v1/inbound-endpoints')
export class InboundEndpointsController {
  constructor(private readonly endpoints: InboundEndpointsService) {}

  @Get()
  @ApiOperation({ operationId: 'listInboundEndpoints', summary: 'List inbound endpoints' })
  @ApiOkResponse({ type: [InboundEndpointResponse], description: 'the endpoints, secrets hidden' })
  list(@CurrentPrincipal() principal: Principal): Promise<InboundEndpointView[]> {
    return this.endpoints.list(principal.tenantId);
  }

  @Post()
  @Idempotent()
  @RequireRole('admin')
  @ApiOperation({
    operationId: 'createInboundEndpoint',
    summary: 'Create an inbound endpoint',
    description:
      'Receives `ANY /webhooks/<path>` on the gateway. A `preset` (stripe, github, shopify, ' +
      'slack, standard-webhooks, …) fills the signature, identity and freshness settings.',
  })
  @ApiCreatedResponse({ type: InboundEndpointResponse, description: 'the endpoint as stored' })
  @ApiErrors(400, 409)
  create(
    @CurrentPrincipal() principal: Principal,
    @Body() dto: CreateInboundEndpointDto,
  ): Promise<InboundEndpointView> {
    return this.endpoints.create(principal.tenantId, dto);
  }

  @Get(':id')
  @ApiOperation({ operationId: 'getInboundEndpoint', summary: 'Get an inbound endpoint' })
  @ApiOkResponse({ type: InboundEndpointResponse, description: 'the endpoint, secrets hidden' })
  @ApiErrors(404)
  get(
    @CurrentPrincipal() principal: Principal,
    @Param('id') id: string,
  ): Promise<InboundEndpointView> {
    return this.endpoints.get(principal.tenantId, id);
  }

  @Put(':id')
  @RequireRole('admin')
  @ApiOperation({
    operationId: 'updateInboundEndpoint',
    summary: 'Update an inbound endpoint',
    description: 'Omitted secrets keep their stored value.',
  })
  @ApiOkResponse({ type: InboundEndpointResponse, description: 'the endpoint as stored' })
  @ApiErrors(400, 404, 409)
  update(
    @CurrentPrincipal() principal: Principal,
    @Param('id') id: string,
    @Body() dto: UpdateInboundEndpointDto,
  ): Promise<InboundEndpointView> {
    return this.endpoints.update(principal.tenantId, id, dto);
  }

  @Delete(':id')
  @RequireRole('admin')
  @ApiOperation({
    operationId: 'deactivateInboundEndpoint',
    summary: 'Deactivate an inbound endpoint',
    description: 'The path answers 404 from then on; stored events are kept.',
  })
  @ApiOkResponse({ type: InboundEndpointResponse, description: 'the deactivated endpoint' })
  @ApiErrors(404)
  deactivate(
    @CurrentPrincipal() principal: Principal,
    @Param('id') id: string,
  ): Promise<InboundEndpointView> {
    return this.endpoints.deactivate(principal.tenantId, id);
  }
}
