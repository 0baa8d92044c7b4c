import { BaseConfig, IsPort, IsPositiveInt } from '@app/platform';

/** The admin app's configuration: SPEC §2 plus the statistics rollup and retention jobs. */
export class AdminConfig extends BaseConfig {
  @IsPort()
  ADMIN_PORT = 3001;

  /** How often finished items are rolled up into the hourly statistics. */
  @IsPositiveInt(3600)
  STATS_ROLLUP_INTERVAL_SECONDS = 60;

  /** How often the retention job purges expired events, deliveries and refusals (SPEC §11). */
  @IsPositiveInt(7 * 86400)
  RETENTION_INTERVAL_SECONDS = 3600;

  /** Rows deleted per statement (one short transaction each). */
  @IsPositiveInt(100_000)
  RETENTION_BATCH_SIZE = 500;

  /** Pause between two batches, so a large purge leaves Postgres to the traffic. */
  @IsPositiveInt(60_000)
  RETENTION_BATCH_PAUSE_MS = 20;

  /**
   * Synchronous sends (`POST /deliveries?wait=`) this process holds at once; one more is
   * answered 202 at once, as without `wait`, so waiting callers cannot pile up.
   */
  @IsPositiveInt(100_000)
  DELIVERY_WAIT_MAX_WAITERS = 200;
}
