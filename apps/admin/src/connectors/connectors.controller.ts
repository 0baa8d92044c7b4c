import { Body, Controller, Get, HttpCode, Param, Post, Put, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { ApiKeyGuard, CurrentPrincipal, RequireRole } from '../auth/api-key.guard';
import type { Principal } from '../auth/principal';
import { CreateConnectorDto, UpdateConnectorDto } from './connector.dto';
import {
  ConnectorsService,
  type ConnectorDetailView,
  type ConnectorView,
} from './connectors.service';
import { ProvisionConnector, type ProvisionReport } from './provision-connector.use-case';

@ApiTags('connectors')
@ApiBearerAuth()
@UseGuards(ApiKeyGuard)
@Controller('api/v1/connectors')
export class ConnectorsController {
  constructor(
    private readonly connectors: ConnectorsService,
    private readonly provisioning: ProvisionConnector,
  ) {}

  @Get()
  list(@CurrentPrincipal() principal: Principal): Promise<ConnectorView[]> {
    return this.connectors.list(principal.tenantId);
  }

  @Post()
  @RequireRole('admin')
  create(
    @CurrentPrincipal() principal: Principal,
    @Body() dto: CreateConnectorDto,
  ): Promise<ConnectorDetailView> {
    return this.connectors.create(principal.tenantId, dto);
  }

  @Get(':id')
  get(
    @CurrentPrincipal() principal: Principal,
    @Param('id') id: string,
  ): Promise<ConnectorDetailView> {
    return this.connectors.get(principal.tenantId, id);
  }

  @Put(':id')
  @RequireRole('admin')
  update(
    @CurrentPrincipal() principal: Principal,
    @Param('id') id: string,
    @Body() dto: UpdateConnectorDto,
  ): Promise<ConnectorDetailView> {
    return this.connectors.update(principal.tenantId, id, dto);
  }

  /** Creates or refreshes the endpoints of the kind's template; answers what it did. */
  @Post(':id/provision')
  @RequireRole('admin')
  @HttpCode(200)
  provision(
    @CurrentPrincipal() principal: Principal,
    @Param('id') id: string,
  ): Promise<ProvisionReport> {
    return this.provisioning.execute(principal.tenantId, id);
  }
}
