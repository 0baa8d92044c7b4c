import { Controller, Get, Query, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { ApiKeyGuard, CurrentPrincipal } from '../auth/api-key.guard';
import type { Principal } from '../auth/principal';
import { StatsQuery } from './stats.dto';
import { StatsService, type StatsView } from './stats.service';

@ApiTags('stats')
@ApiBearerAuth()
@UseGuards(ApiKeyGuard)
@Controller('api/v1/stats')
export class StatsController {
  constructor(private readonly stats: StatsService) {}

  /** Operators and admins of the tenant (the guard's default role). */
  @Get()
  get(@CurrentPrincipal() principal: Principal, @Query() query: StatsQuery): Promise<StatsView> {
    return this.stats.stats(principal.tenantId, query);
  }
}
