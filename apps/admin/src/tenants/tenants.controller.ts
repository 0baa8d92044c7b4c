import { Body, Controller, Get, Post, Put, UseGuards } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiCreatedResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import type { CreatedApiKey } from '../api-keys/api-keys.service';
import { ApiKeyGuard, CurrentPrincipal, RequireRole } from '../auth/api-key.guard';
import type { Principal } from '../auth/principal';
import { ApiErrors } from '../common/openapi';
import { CreateTenantDto, UpdateTenantDto } from './tenant.dto';
import { CreatedTenantResponse, TenantResponse } from './tenant.response';
import { TenantsService, type TenantView } from './tenants.service';
import { Idempotent } from '../idempotency/idempotency.interceptor';

/** `/tenants`: creating and listing tenants, for admin keys of the default tenant only. */
@ApiTags('tenants')
@ApiBearerAuth()
@ApiErrors(401, 403)
@UseGuards(ApiKeyGuard)
@RequireRole('admin')
@Controller('api/v1/tenants')
export class TenantsController {
  constructor(private readonly tenants: TenantsService) {}

  @Get()
  @ApiOperation({
    operationId: 'listTenants',
    summary: 'List tenants',
    description: 'Every tenant. Only admin keys of the `default` tenant.',
  })
  @ApiOkResponse({ type: [TenantResponse], description: 'the tenants, by name' })
  list(@CurrentPrincipal() principal: Principal): Promise<TenantView[]> {
    return this.tenants.list(principal);
  }

  @Post()
  @Idempotent()
  @ApiOperation({
    operationId: 'createTenant',
    summary: 'Create a tenant',
    description:
      'Only admin keys of the `default` tenant. Answers the tenant and its first admin key ' +
      '(shown this once); that key then manages the new tenant.',
  })
  @ApiCreatedResponse({
    type: CreatedTenantResponse,
    description: 'the tenant and its first admin key (`adminKey.key` is shown this once)',
  })
  @ApiErrors(400, 409)
  create(
    @CurrentPrincipal() principal: Principal,
    @Body() dto: CreateTenantDto,
  ): Promise<{ tenant: TenantView; adminKey: CreatedApiKey }> {
    return this.tenants.create(principal, dto);
  }
}

/** `/tenant`: the caller's own tenant; operators read it, admins change it. */
@ApiTags('tenants')
@ApiBearerAuth()
@ApiErrors(401)
@UseGuards(ApiKeyGuard)
@Controller('api/v1/tenant')
export class TenantController {
  constructor(private readonly tenants: TenantsService) {}

  @Get()
  @ApiOperation({
    operationId: 'getCurrentTenant',
    summary: "Get the caller's tenant",
    description: 'Its name and settings.',
  })
  @ApiOkResponse({ type: TenantResponse, description: "the caller's tenant" })
  get(@CurrentPrincipal() principal: Principal): Promise<TenantView> {
    return this.tenants.get(principal.tenantId);
  }

  @Put()
  @RequireRole('admin')
  @ApiOperation({
    operationId: 'updateCurrentTenant',
    summary: "Change the caller's tenant",
    description:
      'Name and retention. The `default` tenant keeps its name (the bootstrap key and ' +
      'publishers without `tenant` rely on it).',
  })
  @ApiOkResponse({ type: TenantResponse, description: 'the tenant as stored' })
  @ApiErrors(400, 403, 409)
  update(
    @CurrentPrincipal() principal: Principal,
    @Body() dto: UpdateTenantDto,
  ): Promise<TenantView> {
    return this.tenants.update(principal.tenantId, dto);
  }
}
