import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsISO8601, IsOptional } from 'class-validator';

/** `GET /stats?from&to`: the window, both ends optional (default: the last 7 days). */
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
}
