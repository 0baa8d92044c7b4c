import { Controller, Get, Query, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiKeyGuard, CurrentPrincipal } from '../auth/api-key.guard';
import type { Principal } from '../auth/principal';
import { ApiErrors } from '../common/openapi';
import { StatsQuery } from './stats.dto';
import { StatsResponse } from './stats.response';
import { StatsService, type StatsView } from './stats.service';

@ApiTags('stats')
@ApiBearerAuth()
@ApiErrors(401)
@UseGuards(ApiKeyGuard)
@Controller('api/v1/stats')
export class StatsController {
  constructor(private readonly stats: StatsService) {}

  /** Operators and admins of the tenant (the guard's default role). */
  @Get()
  @ApiOperation({
    operationId: 'getStats',
    summary: 'Traffic statistics of a time window',
    description:
      'Counts by state per direction, success rates, per-endpoint figures, daily traffic and ' +
      'attempt latency percentiles for the caller’s tenant. The window defaults to the last 7 ' +
      'days and may span at most 31. Finished items (done/rejected events, done deliveries) ' +
      'count in the UTC hour they finished, the others by when they were received/created.',
  })
  @ApiOkResponse({ type: StatsResponse, description: 'the figures of the window' })
  @ApiErrors(400)
  get(@CurrentPrincipal() principal: Principal, @Query() query: StatsQuery): Promise<StatsView> {
    return this.stats.stats(principal.tenantId, query);
  }
}
