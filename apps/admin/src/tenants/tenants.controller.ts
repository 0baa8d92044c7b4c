import { Body, Controller, Get, Post, Put, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { CreatedApiKey } from '../api-keys/api-keys.service';
import { ApiKeyGuard, CurrentPrincipal, RequireRole } from '../auth/api-key.guard';
import type { Principal } from '../auth/principal';
import { CreateTenantDto, UpdateTenantDto } from './tenant.dto';
import { TenantsService, type TenantView } from './tenants.service';

/** `/tenants`: creating and listing tenants, for admin keys of the default tenant only. */
@ApiTags('tenants')
@ApiBearerAuth()
@UseGuards(ApiKeyGuard)
@RequireRole('admin')
@Controller('api/v1/tenants')
export class TenantsController {
  constructor(private readonly tenants: TenantsService) {}

  @Get()
  list(@CurrentPrincipal() principal: Principal): Promise<TenantView[]> {
    return this.tenants.list(principal);
  }

  @Post()
  @ApiCreatedResponse({
    description: 'the tenant and its first admin key (`adminKey.key` is shown this once)',
  })
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
@UseGuards(ApiKeyGuard)
@Controller('api/v1/tenant')
export class TenantController {
  constructor(private readonly tenants: TenantsService) {}

  @Get()
  @ApiOkResponse({ description: "the caller's tenant and its settings" })
  get(@CurrentPrincipal() principal: Principal): Promise<TenantView> {
    return this.tenants.get(principal.tenantId);
  }

  @Put()
  @RequireRole('admin')
  update(
    @CurrentPrincipal() principal: Principal,
    @Body() dto: UpdateTenantDto,
  ): Promise<TenantView> {
    return this.tenants.update(principal.tenantId, dto);
  }
}
