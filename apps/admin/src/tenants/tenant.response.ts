import { ApiProperty } from '@nestjs/swagger';
import { CreatedApiKeyResponse } from '../api-keys/api-key.response';
import type { TenantView } from './tenants.service';

export class TenantResponse implements TenantView {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({ example: 'acme' })
  name: string;

  @ApiProperty({
    example: 30,
    description: 'done/rejected events and done deliveries older than this are deleted',
  })
  retentionDays: number;

  @ApiProperty({ format: 'date-time' })
  createdAt: string;
}

export class CreatedTenantResponse {
  @ApiProperty({ type: TenantResponse })
  tenant: TenantResponse;

  @ApiProperty({
    type: CreatedApiKeyResponse,
    description: "the tenant's first admin key; `key` is shown this once",
  })
  adminKey: CreatedApiKeyResponse;
}
