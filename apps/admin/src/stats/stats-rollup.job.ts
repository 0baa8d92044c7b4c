import {
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
  OnApplicationShutdown,
} from '@nestjs/common';
import { StatsRepository } from '@app/persistence';
import { APP_CONFIG, PeriodicTask } from '@app/platform';
import type { AdminConfig } from '../config';

/**
 * Rolls finished items up into `stats_hourly` (see the StatsRollup migration): every
 * STATS_ROLLUP_INTERVAL_SECONDS, for each direction, the closed UTC hours between the
 * watermark and `now() - ROLLUP_LAG` are counted once and the watermark moves on, in one
 * transaction — so a crash or a second admin replica (it waits on the watermark row, then
 * finds nothing left) never counts an hour twice.
 *
 * ROLLUP_LAG (StatsRepository) covers commit latency. The statements live in
 * StatsRepository.rollUp.
 *
 * Runs in the admin app, like retention: off the hot path, one place for both directions.
 */
@Injectable()
export class StatsRollupJob implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(StatsRollupJob.name);
  private readonly periodic: PeriodicTask;

  constructor(
    private readonly stats: StatsRepository,
    @Inject(APP_CONFIG) config: AdminConfig,
  ) {
    this.periodic = new PeriodicTask(
      config.STATS_ROLLUP_INTERVAL_SECONDS * 1000,
      () => this.rollUp(),
      (error) => this.logger.warn(`stats rollup failed: ${String(error)}`),
    );
  }

  onApplicationBootstrap(): void {
    this.periodic.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.periodic.stop();
  }

  /** One pass; returns the rollup rows written per direction (tests call it directly). */
  async rollUp(): Promise<{ inbound: number; outbound: number }> {
    return {
      inbound: await this.stats.rollUp('inbound'),
      outbound: await this.stats.rollUp('outbound'),
    };
  }
}
