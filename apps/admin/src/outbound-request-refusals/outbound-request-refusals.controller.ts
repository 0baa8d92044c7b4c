import { Controller, Get, Param, Query, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiKeyGuard, CurrentPrincipal } from '../auth/api-key.guard';
import type { Principal } from '../auth/principal';
import { ApiErrors, ApiPageResponse } from '../common/openapi';
import type { Page } from '../common/pagination';
import { ListOutboundRequestRefusalsQuery } from './outbound-request-refusal.dto';
import { OutboundRequestRefusalResponse } from './outbound-request-refusal.response';
import {
  OutboundRequestRefusalsService,
  type OutboundRequestRefusalView,
} from './outbound-request-refusals.service';

const TENANCY =
  'A refusal belongs to the tenant its job named when that tenant exists; one naming no ' +
  'existing tenant is shown to the `default` tenant only.';

@ApiTags('outbound-request-refusals')
@ApiBearerAuth()
@ApiErrors(401)
@UseGuards(ApiKeyGuard)
@Controller('api/v1/outbound-request-refusals')
export class OutboundRequestRefusalsController {
  constructor(private readonly refusals: OutboundRequestRefusalsService) {}

  @Get()
  @ApiOperation({
    operationId: 'listOutboundRequestRefusals',
    summary: 'List refused publish requests',
    description:
      '`outbound-requests` jobs that can never become a delivery (malformed data, an unknown ' +
      'job name or tenant, data Postgres refuses), each counted in ' +
      '`hookgate_outbound_requests_refused_total{reason}`. ' +
      TENANCY +
      ' Newest first, keyset-paginated.',
  })
  @ApiPageResponse(OutboundRequestRefusalResponse, 'refusals, newest first, with nextCursor')
  @ApiErrors(400)
  list(
    @CurrentPrincipal() principal: Principal,
    @Query() query: ListOutboundRequestRefusalsQuery,
  ): Promise<Page<OutboundRequestRefusalView>> {
    return this.refusals.list(principal.tenantId, query);
  }

  @Get(':id')
  @ApiOperation({
    operationId: 'getOutboundRequestRefusal',
    summary: 'Get a refused publish request',
    description: TENANCY,
  })
  @ApiOkResponse({ type: OutboundRequestRefusalResponse, description: 'the refusal' })
  @ApiErrors(404)
  get(
    @CurrentPrincipal() principal: Principal,
    @Param('id') id: string,
  ): Promise<OutboundRequestRefusalView> {
    return this.refusals.get(principal.tenantId, id);
  }
}
