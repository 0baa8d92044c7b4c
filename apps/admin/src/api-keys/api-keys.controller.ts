import { Body, Controller, Delete, Get, Param, Post, UseGuards } from '@nestjs/common';
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
import { CreateApiKeyDto } from './api-key.dto';
import { ApiKeyResponse, CreatedApiKeyResponse } from './api-key.response';
import { ApiKeysService, type ApiKeyView, type CreatedApiKey } from './api-keys.service';
import { Idempotent } from '../idempotency/idempotency.interceptor';

/** Key management is for admins only: operators cannot even list keys. */
@ApiTags('api keys')
@ApiBearerAuth()
@ApiErrors(401, 403)
@UseGuards(ApiKeyGuard)
@RequireRole('admin')
@Controller('api/v1/api-keys')
export class ApiKeysController {
  constructor(private readonly keys: ApiKeysService) {}

  @Get()
  @ApiOperation({
    operationId: 'listApiKeys',
    summary: 'List API keys',
    description: "The tenant's keys, revoked ones too. Never the key itself, never its hash.",
  })
  @ApiOkResponse({ type: [ApiKeyResponse], description: 'the keys, newest first' })
  list(@CurrentPrincipal() principal: Principal): Promise<ApiKeyView[]> {
    return this.keys.list(principal.tenantId);
  }

  @Post()
  @Idempotent()
  @ApiOperation({
    operationId: 'createApiKey',
    summary: 'Create an API key',
    description: 'An `admin` or `operator` key of the tenant. The answer holds the key once.',
  })
  @ApiCreatedResponse({
    type: CreatedApiKeyResponse,
    description: 'the new key, with `key` in plaintext: shown this once',
  })
  @ApiErrors(400)
  create(
    @CurrentPrincipal() principal: Principal,
    @Body() dto: CreateApiKeyDto,
  ): Promise<CreatedApiKey> {
    return this.keys.create(principal.tenantId, dto.name, dto.role);
  }

  @Delete(':id')
  @ApiOperation({
    operationId: 'revokeApiKey',
    summary: 'Revoke an API key',
    description:
      'Effective on the next request (401). Repeating it is harmless. The last active ' +
      'admin key of a tenant cannot be revoked (409).',
  })
  @ApiOkResponse({ type: ApiKeyResponse, description: 'the key, with revokedAt set' })
  @ApiErrors(404, 409)
  revoke(@CurrentPrincipal() principal: Principal, @Param('id') id: string): Promise<ApiKeyView> {
    return this.keys.revoke(principal.tenantId, id);
  }
}
