import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, MaxLength } from 'class-validator';
import { PageQuery } from '../common/pagination';
import { IsTimestamp } from '../common/validation';

/** Filters for `GET /api/v1/audit`, newest first. */
export class ListAuditQuery extends PageQuery {
  @ApiPropertyOptional({
    description: 'entity type',
    example: 'outbound-endpoint',
    enum: [
      'handler',
      'inbound-endpoint',
      'outbound-endpoint',
      'inbound-event',
      'delivery',
      'api-key',
      'tenant',
      'connector',
    ],
  })
  @IsOptional()
  @IsString()
  @MaxLength(100)
  entity?: string;

  @ApiPropertyOptional({ description: 'id of the entity', format: 'uuid' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  entityId?: string;

  @ApiPropertyOptional({ example: 'delivery.cancel' })
  @IsOptional()
  @IsString()
  @MaxLength(100)
  action?: string;

  @ApiPropertyOptional({ example: '2026-01-01T00:00:00Z' })
  @IsOptional()
  @IsTimestamp()
  from?: string;

  @ApiPropertyOptional({ example: '2026-12-31T00:00:00Z' })
  @IsOptional()
  @IsTimestamp()
  to?: string;
}
