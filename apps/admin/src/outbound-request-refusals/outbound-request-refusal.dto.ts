import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional } from 'class-validator';
import { REFUSAL_REASONS, type RefusalReason } from '@app/outbound';
import { PageQuery } from '../common/pagination';
import { IsTimestamp } from '../common/validation';

/** Filters for `GET /api/v1/outbound-request-refusals`, newest first. */
export class ListOutboundRequestRefusalsQuery extends PageQuery {
  @ApiPropertyOptional({ enum: REFUSAL_REASONS })
  @IsOptional()
  @IsIn(REFUSAL_REASONS, { message: `reason must be one of ${REFUSAL_REASONS.join(', ')}` })
  reason?: RefusalReason;

  @ApiPropertyOptional({ example: '2026-01-01T00:00:00Z', description: 'refused at or after' })
  @IsOptional()
  @IsTimestamp()
  from?: string;

  @ApiPropertyOptional({ example: '2026-12-31T00:00:00Z', description: 'refused before' })
  @IsOptional()
  @IsTimestamp()
  to?: string;
}
