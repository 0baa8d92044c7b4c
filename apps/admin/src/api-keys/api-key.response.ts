import { ApiProperty } from '@nestjs/swagger';
import { API_KEY_ROLES, type ApiKeyRole } from '@app/persistence';
import type { ApiKeyView, CreatedApiKey } from './api-keys.service';

/** The documented shape of an API key as listed: never the key, never its hash. */
export class ApiKeyResponse implements ApiKeyView {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({ example: 'billing operators' })
  name: string;

  @ApiProperty({ enum: API_KEY_ROLES, example: 'operator' })
  role: ApiKeyRole;

  @ApiProperty({ example: 'hg_3kQ9xLmP', description: 'the first characters of the key' })
  prefix: string;

  @ApiProperty({ format: 'date-time' })
  createdAt: string;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  lastUsedAt: string | null;

  @ApiProperty({
    type: String,
    format: 'date-time',
    nullable: true,
    description: 'set once revoked; the key answers 401 from then on',
  })
  revokedAt: string | null;
}

/** A key as created: the one answer that carries the key itself. */
export class CreatedApiKeyResponse extends ApiKeyResponse implements CreatedApiKey {
  @ApiProperty({
    example: 'hg_3kQ9xLmPqR7sT2uV4wX6yZ8aB0cD1eF3gH5iJ7kL9mN',
    description: 'the key: shown this once, stored only as its SHA-256',
  })
  key: string;
}
