import { ApiPropertyOptional, IntersectionType } from '@nestjs/swagger';
import { IsBoolean, IsIn, IsOptional, IsString, MaxLength } from 'class-validator';
import { PageQuery } from '../common/pagination';
import { IsTimestamp } from '../common/validation';

/** Filters for listing and bulk-reprocessing inbound events. */
export const INBOUND_EVENT_STATES = [
  'received',
  'processing',
  'done',
  'error',
  'dead_letter',
  'rejected',
] as const;
export type InboundEventState = (typeof INBOUND_EVENT_STATES)[number];

export class InboundEventFilter {
  @ApiPropertyOptional({ enum: INBOUND_EVENT_STATES })
  @IsOptional()
  @IsIn(INBOUND_EVENT_STATES)
  state?: InboundEventState;

  @ApiPropertyOptional({ description: 'endpoint id or path' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  endpoint?: string;

  @ApiPropertyOptional({ example: '2026-01-01T00:00:00Z' })
  @IsOptional()
  @IsTimestamp()
  from?: string;

  @ApiPropertyOptional({ example: '2026-12-31T00:00:00Z' })
  @IsOptional()
  @IsTimestamp()
  to?: string;

  @ApiPropertyOptional({
    description: 'matches an event id, a delivery/replay identity or the matched rule',
  })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  q?: string;
}

export class ListInboundEventsQuery extends IntersectionType(PageQuery, InboundEventFilter) {}

export class ReprocessInboundEventsDto extends InboundEventFilter {
  @ApiPropertyOptional({
    default: false,
    description:
      'true: only count what a reprocess would queue now (`{ matched }`); nothing changes',
  })
  @IsOptional()
  @IsBoolean()
  dryRun?: boolean;
}
