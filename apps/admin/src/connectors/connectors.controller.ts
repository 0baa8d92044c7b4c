import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  Param,
  Post,
  Put,
  UseGuards,
} from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiCreatedResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiTags,
} from '@nestjs/swagger';
import { ApiKeyGuard, CurrentPrincipal, RequireRole } from '../auth/api-key.guard';
import type { Principal } from '../auth/principal';
import { ApiErrors } from '../common/openapi';
import { CreateConnectorDto, UpdateConnectorDto } from './connector.dto';
import {
  ConnectorDetailResponse,
  ConnectorResponse,
  ProvisionReportResponse,
} from './connector.response';
import {
  ConnectorsService,
  type ConnectorDetailView,
  type ConnectorView,
} from './connectors.service';
import { ProvisionConnector, type ProvisionReport } from './provision-connector.use-case';
import { Idempotent } from '../idempotency/idempotency.interceptor';
import { validationFailure } from '../common/validation';
import { ENDPOINT_KINDS, LinkEndpointDto, type EndpointKind } from './connector-link.dto';
import { LinkConnectorEndpoint } from './link-connector-endpoint.use-case';

@ApiTags('connectors')
@ApiBearerAuth()
@ApiErrors(401)
@UseGuards(ApiKeyGuard)
@Controller('api/v1/connectors')
export class ConnectorsController {
  constructor(
    private readonly connectors: ConnectorsService,
    private readonly provisioning: ProvisionConnector,
    private readonly links: LinkConnectorEndpoint,
  ) {}

  @Get()
  @ApiOperation({
    operationId: 'listConnectors',
    summary: 'List connectors',
    description: 'Credentials are never shown.',
  })
  @ApiOkResponse({ type: [ConnectorResponse], description: 'the tenant’s connectors' })
  list(@CurrentPrincipal() principal: Principal): Promise<ConnectorView[]> {
    return this.connectors.list(principal.tenantId);
  }

  @Post()
  @Idempotent()
  @RequireRole('admin')
  @ApiOperation({
    operationId: 'createConnector',
    summary: 'Create a connector',
    description:
      'A configured instance of a registered kind. Credentials are encrypted and write-only. ' +
      'Endpoints are not created here: provision them.',
  })
  @ApiCreatedResponse({ type: ConnectorDetailResponse, description: 'the connector as stored' })
  @ApiErrors(400, 403, 409)
  create(
    @CurrentPrincipal() principal: Principal,
    @Body() dto: CreateConnectorDto,
  ): Promise<ConnectorDetailView> {
    return this.connectors.create(principal.tenantId, dto);
  }

  @Get(':id')
  @ApiOperation({
    operationId: 'getConnector',
    summary: 'Get a connector with its linked endpoints',
    description: 'Its inbound endpoint (at most one) and its outbound endpoints, by suffix.',
  })
  @ApiOkResponse({ type: ConnectorDetailResponse, description: 'the connector and its endpoints' })
  @ApiErrors(404)
  get(
    @CurrentPrincipal() principal: Principal,
    @Param('id') id: string,
  ): Promise<ConnectorDetailView> {
    return this.connectors.get(principal.tenantId, id);
  }

  @Put(':id')
  @RequireRole('admin')
  @ApiOperation({
    operationId: 'updateConnector',
    summary: 'Update a connector',
    description:
      'Partial; `kind` is fixed. `credentials` replaces all credentials (`null` clears them). ' +
      '`active: false` cancels its deliveries before sending. The technical prefix can ' +
      'change only while no endpoint is linked (409).',
  })
  @ApiOkResponse({ type: ConnectorDetailResponse, description: 'the connector as stored' })
  @ApiErrors(400, 403, 404, 409)
  update(
    @CurrentPrincipal() principal: Principal,
    @Param('id') id: string,
    @Body() dto: UpdateConnectorDto,
  ): Promise<ConnectorDetailView> {
    return this.connectors.update(principal.tenantId, id, dto);
  }

  @Post(':id/provision')
  @RequireRole('admin')
  @HttpCode(200)
  @ApiOperation({
    operationId: 'provisionConnector',
    summary: 'Create or refresh the connector’s endpoints from its kind’s template',
    description:
      'Idempotent: a second run reports every row `unchanged`. Updates rows in place (history ' +
      'kept), archives outbound endpoints the template dropped. All or nothing.',
  })
  @ApiOkResponse({ type: ProvisionReportResponse, description: 'what provisioning did' })
  @ApiErrors(400, 403, 404, 409)
  provision(
    @CurrentPrincipal() principal: Principal,
    @Param('id') id: string,
  ): Promise<ProvisionReport> {
    return this.provisioning.execute(principal.tenantId, id);
  }

  @Post(':id/links')
  @RequireRole('admin')
  @HttpCode(200)
  @ApiOperation({
    operationId: 'linkConnectorEndpoint',
    summary: 'Link an existing endpoint to the connector by hand',
    description:
      'The endpoint fills one of the slots the connector’s kind declares (`codeSuffix`); its ' +
      'code (outbound) or path (inbound) becomes `<technicalPrefix>-<codeSuffix>`, and a later ' +
      'provisioning refreshes it in place. 400 when the kind declares no such slot, 404 for an ' +
      'endpoint or connector of another tenant, 409 when the endpoint is linked elsewhere, the ' +
      'slot is taken, the new code is in use or the endpoint is archived. Audited.',
  })
  @ApiOkResponse({ type: ConnectorDetailResponse, description: 'the connector and its endpoints' })
  @ApiErrors(400, 403, 404, 409)
  async link(
    @CurrentPrincipal() principal: Principal,
    @Param('id') id: string,
    @Body() dto: LinkEndpointDto,
  ): Promise<ConnectorDetailView> {
    await this.links.link(principal.tenantId, id, dto);
    return this.connectors.get(principal.tenantId, id);
  }

  @Delete(':id/links/:endpointKind/:endpointId')
  @RequireRole('admin')
  @ApiOperation({
    operationId: 'unlinkConnectorEndpoint',
    summary: 'Unlink an endpoint from the connector',
    description:
      'Clears the link; the endpoint keeps its code (or path) and its history. 404 when the ' +
      'endpoint is not linked to this connector. Audited.',
  })
  @ApiParam({ name: 'endpointKind', enum: ENDPOINT_KINDS })
  @ApiParam({ name: 'endpointId', format: 'uuid' })
  @ApiOkResponse({ type: ConnectorDetailResponse, description: 'the connector and its endpoints' })
  @ApiErrors(400, 403, 404)
  async unlink(
    @CurrentPrincipal() principal: Principal,
    @Param('id') id: string,
    @Param('endpointKind') endpointKind: string,
    @Param('endpointId') endpointId: string,
  ): Promise<ConnectorDetailView> {
    if (!(ENDPOINT_KINDS as readonly string[]).includes(endpointKind)) {
      throw validationFailure([
        { field: 'endpointKind', problems: ['endpointKind must be inbound or outbound'] },
      ]);
    }
    await this.links.unlink(principal.tenantId, id, endpointKind as EndpointKind, endpointId);
    return this.connectors.get(principal.tenantId, id);
  }
}
