import { Body, Controller, Delete, Get, Param, Post, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { ApiKeyGuard, CurrentPrincipal, RequireRole } from '../auth/api-key.guard';
import type { Principal } from '../auth/principal';
import { CreateApiKeyDto } from './api-key.dto';
import { ApiKeysService, type ApiKeyView, type CreatedApiKey } from './api-keys.service';

/** Key management is for admins only: operators cannot even list keys. */
@ApiTags('api keys')
@ApiBearerAuth()
@UseGuards(ApiKeyGuard)
@RequireRole('admin')
@Controller('api/v1/api-keys')
export class ApiKeysController {
  constructor(private readonly keys: ApiKeysService) {}

  @Get()
  @ApiOkResponse({ description: "the tenant's keys (revoked ones too); never the key itself" })
  list(@CurrentPrincipal() principal: Principal): Promise<ApiKeyView[]> {
    return this.keys.list(principal.tenantId);
  }

  @Post()
  @ApiCreatedResponse({ description: 'the new key, with `key` in plaintext: shown this once' })
  create(
    @CurrentPrincipal() principal: Principal,
    @Body() dto: CreateApiKeyDto,
  ): Promise<CreatedApiKey> {
    return this.keys.create(principal.tenantId, dto.name, dto.role);
  }

  @Delete(':id')
  @ApiOkResponse({ description: 'revoked: the next request with this key answers 401' })
  revoke(@CurrentPrincipal() principal: Principal, @Param('id') id: string): Promise<ApiKeyView> {
    return this.keys.revoke(principal.tenantId, id);
  }
}
