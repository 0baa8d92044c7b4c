import { Controller, Get, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiProperty, ApiTags } from '@nestjs/swagger';
import { API_KEY_ROLES } from '@app/persistence';
import { ApiErrors } from '../common/openapi';
import { AllowPublisher, ApiKeyGuard, CurrentPrincipal } from './api-key.guard';
import type { Principal, Role } from './principal';

/** The documented shape of the caller, as the bearer key resolves it. */
export class PrincipalResponse implements Principal {
  @ApiProperty({ format: 'uuid', description: 'the id of the key making the call' })
  keyId: string;

  @ApiProperty({ example: 'billing operators', description: 'the key’s name (the audit actor)' })
  name: string;

  @ApiProperty({
    enum: API_KEY_ROLES,
    example: 'operator',
    description:
      'what the key may do: `operator` reads and acts, `admin` also configures, `publisher` only publishes and reads deliveries',
  })
  role: Role;

  @ApiProperty({ format: 'uuid' })
  tenantId: string;
}

/**
 * `/me`: who the bearer key is. The console reads it at sign-in to check the key and to
 * show only what the key's role may do (the server still refuses the rest).
 */
@ApiTags('auth')
@ApiBearerAuth()
@ApiErrors(401)
@UseGuards(ApiKeyGuard)
@Controller('api/v1/me')
export class MeController {
  @Get()
  @AllowPublisher()
  @ApiOperation({
    operationId: 'getMe',
    summary: 'Describe the calling key',
    description: 'Its id, name, role and tenant. Any live key may call it.',
  })
  @ApiOkResponse({ type: PrincipalResponse, description: 'the caller' })
  get(@CurrentPrincipal() principal: Principal): PrincipalResponse {
    return {
      keyId: principal.keyId,
      name: principal.name,
      role: principal.role,
      tenantId: principal.tenantId,
    };
  }
}
