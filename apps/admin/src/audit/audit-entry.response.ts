import { ApiProperty } from '@nestjs/swagger';
import type { AuditEntryView } from './audit.service';

/** The documented shape of an audit entry as the API answers it (values redacted). */
export class AuditEntryResponse implements AuditEntryView {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({ type: String, format: 'uuid', nullable: true, description: 'null: the system' })
  apiKeyId: string | null;

  @ApiProperty({ example: 'bootstrap (ADMIN_API_KEY)', description: 'the key’s name, or system' })
  actor: string;

  @ApiProperty({ example: 'outbound-endpoint.update' })
  action: string;

  @ApiProperty({ example: 'outbound-endpoint' })
  entityType: string;

  @ApiProperty({ type: String, nullable: true, format: 'uuid' })
  entityId: string | null;

  @ApiProperty({
    description: 'the entity before the change, secrets redacted (null on create)',
    example: { name: 'CRM', signing: { type: 'hmac', secret: '[redacted]' } },
    nullable: true,
  })
  before: unknown;

  @ApiProperty({
    description: 'the entity after the change, secrets redacted (null on delete)',
    nullable: true,
  })
  after: unknown;

  @ApiProperty({ format: 'date-time' })
  createdAt: string;
}
