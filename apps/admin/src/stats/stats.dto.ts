import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsISO8601, IsOptional, Matches } from 'class-validator';

/** The dimensions `groupBy` may name (comma-separated). */
export const STATS_DIMENSIONS = ['eventType', 'recordModel', 'errorClass'] as const;
export type StatsDimension = (typeof STATS_DIMENSIONS)[number];
/** A comma-separated list of STATS_DIMENSIONS (a literal: the house builds no RegExp at run time). */
const DIMENSION_LIST = /^(eventType|recordModel|errorClass)(,(eventType|recordModel|errorClass))*$/;

/**
 * `GET /stats?from&to&groupBy`: the window, both ends optional (default: the last 7 days),
 * and the breakdowns to add (none by default: the answer keeps its original shape).
 */
export class StatsQuery {
  @ApiPropertyOptional({
    description: 'window start (inclusive), ISO 8601; default `to` minus 7 days',
    example: '2026-11-01T00:00:00Z',
  })
  @IsOptional()
  @IsISO8601({ strict: true })
  from?: string;

  @ApiPropertyOptional({
    description: 'window end (exclusive), ISO 8601; default now; at most 31 days after `from`',
    example: '2026-11-08T00:00:00Z',
  })
  @IsOptional()
  @IsISO8601({ strict: true })
  to?: string;

  @ApiPropertyOptional({
    description:
      'breakdowns to add under `breakdowns`, comma-separated: `eventType` (deliveries by ' +
      'event type and state), `recordModel` (records created, by model), `errorClass` ' +
      '(failed attempts and refused/failed inbound events by class, most first)',
    example: 'eventType,errorClass',
  })
  @IsOptional()
  @Matches(DIMENSION_LIST, {
    message: `groupBy must be a comma-separated list of ${STATS_DIMENSIONS.join(', ')}`,
  })
  groupBy?: string;
}
