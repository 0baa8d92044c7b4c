import { Module } from '@nestjs/common';
import { StatsRollupJob } from './stats-rollup.job';
import { StatsController } from './stats.controller';
import { StatsService } from './stats.service';

/** Traffic statistics, and the periodic rollup that keeps them cheap. */
@Module({
  controllers: [StatsController],
  providers: [StatsService, StatsRollupJob],
})
export class StatsModule {}
