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
import {
  ApiAcceptedResponse,
  ApiBearerAuth,
  ApiCreatedResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { ApiKeyGuard, CurrentPrincipal, RequireRole } from '../auth/api-key.guard';
import type { Principal } from '../auth/principal';
import { ApiErrors, ApiPageResponse } from '../common/openapi';
import type { Page } from '../common/pagination';
import { DeliveryResponse } from '../deliveries/delivery.response';
import type { DeliveryView } from '../deliveries/deliveries.service';
import {
  CreateOutboundEndpointDto,
  ListOutboundEndpointsQuery,
  TestDeliveryDto,
  UpdateOutboundEndpointDto,
} from './outbound-endpoint.dto';
import { OutboundEndpointResponse } from './outbound-endpoint.response';
import { OutboundEndpointsService, type OutboundEndpointView } from './outbound-endpoints.service';
import { Idempotent } from '../idempotency/idempotency.interceptor';
import { RotateOutboundSigningSecret } from './rotate-outbound-signing-secret.use-case';
import {
  RotateSigningSecretDto,
  RotatedSigningSecretResponse,
  type RotatedSigningSecretView,
} from './rotate-signing-secret.dto';

@ApiTags('outbound endpoints')
@ApiBearerAuth()
@ApiErrors(401)
@UseGuards(ApiKeyGuard)
@Controller('api/v1/outbound-endpoints')
export class OutboundEndpointsController {
  constructor(
    private readonly endpoints: OutboundEndpointsService,
    private readonly rotation: RotateOutboundSigningSecret,
  ) {}

  @Get()
  @ApiOperation({
    operationId: 'listOutboundEndpoints',
    summary: 'List outbound endpoints',
    description: 'Newest first, keyset-paginated.',
  })
  @ApiPageResponse(OutboundEndpointResponse, 'a page of endpoints, secrets hidden')
  @ApiErrors(400)
  list(
    @CurrentPrincipal() principal: Principal,
    @Query() query: ListOutboundEndpointsQuery,
  ): Promise<Page<OutboundEndpointView>> {
    return this.endpoints.list(principal.tenantId, query);
  }

  @Post()
  @Idempotent()
  @RequireRole('admin')
  @ApiOperation({
    operationId: 'createOutboundEndpoint',
    summary: 'Create an outbound endpoint',
    description:
      'Target, templated path and headers, payload rules, signing, auth, retry policy, rate ' +
      'limit and health thresholds; checked as a whole at save time.',
  })
  @ApiCreatedResponse({ type: OutboundEndpointResponse, description: 'the endpoint as stored' })
  @ApiErrors(400, 409)
  create(
    @CurrentPrincipal() principal: Principal,
    @Body() dto: CreateOutboundEndpointDto,
  ): Promise<OutboundEndpointView> {
    return this.endpoints.create(principal.tenantId, dto);
  }

  @Get(':id')
  @ApiOperation({ operationId: 'getOutboundEndpoint', summary: 'Get an outbound endpoint' })
  @ApiOkResponse({ type: OutboundEndpointResponse, description: 'the endpoint, secrets hidden' })
  @ApiErrors(404)
  get(
    @CurrentPrincipal() principal: Principal,
    @Param('id') id: string,
  ): Promise<OutboundEndpointView> {
    return this.endpoints.get(principal.tenantId, id);
  }

  @Put(':id')
  @RequireRole('admin')
  @ApiOperation({
    operationId: 'updateOutboundEndpoint',
    summary: 'Update an outbound endpoint',
    description: 'Omitted secrets keep their stored value unless the signing or auth type changes.',
  })
  @ApiOkResponse({ type: OutboundEndpointResponse, description: 'the endpoint as stored' })
  @ApiErrors(400, 404, 409)
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
  @ApiOperation({
    operationId: 'deleteOutboundEndpoint',
    summary: 'Archive an outbound endpoint (idempotent)',
    description: 'Deliveries keep pointing at it; the ones it held become dead_letter.',
  })
  @ApiOkResponse({ type: OutboundEndpointResponse, description: 'the archived endpoint' })
  @ApiErrors(404)
  remove(
    @CurrentPrincipal() principal: Principal,
    @Param('id') id: string,
  ): Promise<OutboundEndpointView> {
    return this.endpoints.archive(principal.tenantId, id, { idempotent: true });
  }

  @Post(':id/activate')
  @HttpCode(200)
  @RequireRole('admin')
  @ApiOperation({
    operationId: 'activateOutboundEndpoint',
    summary: 'Activate an outbound endpoint',
    description:
      'draft → active, or re-enables an endpoint that health disabled; releases the ' +
      'deliveries it held.',
  })
  @ApiOkResponse({ type: OutboundEndpointResponse, description: 'the active endpoint' })
  @ApiErrors(404, 409)
  activate(
    @CurrentPrincipal() principal: Principal,
    @Param('id') id: string,
  ): Promise<OutboundEndpointView> {
    return this.endpoints.activate(principal.tenantId, id);
  }

  @Post(':id/archive')
  @HttpCode(200)
  @RequireRole('admin')
  @ApiOperation({
    operationId: 'archiveOutboundEndpoint',
    summary: 'Archive an outbound endpoint',
    description: 'Like DELETE, but archiving twice is a 409.',
  })
  @ApiOkResponse({ type: OutboundEndpointResponse, description: 'the archived endpoint' })
  @ApiErrors(404, 409)
  archive(
    @CurrentPrincipal() principal: Principal,
    @Param('id') id: string,
  ): Promise<OutboundEndpointView> {
    return this.endpoints.archive(principal.tenantId, id);
  }

  @Post(':id/rotate-secret')
  @HttpCode(200)
  @RequireRole('admin')
  @ApiOperation({
    operationId: 'rotateOutboundSigningSecret',
    summary: 'Rotate the signing secret',
    description:
      'The new secret (given, or generated) signs at once; the old one signs beside it for ' +
      '`overlapSeconds` (Standard Webhooks `v1,<new> v1,<old>`; timestamped hmac ' +
      '`t=…,v1=<new>,v1=<old>`), so receivers holding either keep verifying. The answer is ' +
      'the only place the new secret is shown.',
  })
  @ApiOkResponse({ type: RotatedSigningSecretResponse, description: 'the new secret, once' })
  @ApiErrors(400, 404, 409)
  rotateSecret(
    @CurrentPrincipal() principal: Principal,
    @Param('id') id: string,
    @Body() dto: RotateSigningSecretDto,
  ): Promise<RotatedSigningSecretView> {
    return this.rotation.execute(principal.tenantId, id, dto);
  }

  @Post(':id/test')
  @Idempotent()
  @HttpCode(202)
  @RequireRole('admin')
  @ApiOperation({
    operationId: 'testOutboundEndpoint',
    summary: 'Send a test delivery',
    description: 'Stores a delivery marked `isTest` and sends it through the normal pipeline.',
  })
  @ApiAcceptedResponse({ type: DeliveryResponse, description: 'the test delivery (isTest: true)' })
  @ApiErrors(400, 404, 409)
  test(
    @CurrentPrincipal() principal: Principal,
    @Param('id') id: string,
    @Body() dto: TestDeliveryDto,
  ): Promise<DeliveryView> {
    return this.endpoints.test(principal.tenantId, id, dto);
  }
}
