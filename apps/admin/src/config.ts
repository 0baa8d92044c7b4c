import { BaseConfig, IsPort, IsPositiveInt } from '@app/platform';

/** The admin app's configuration: SPEC §2 plus the statistics rollup job. */
export class AdminConfig extends BaseConfig {
  @IsPort()
  ADMIN_PORT = 3001;

  /** How often finished items are rolled up into the hourly statistics. */
  @IsPositiveInt(3600)
  STATS_ROLLUP_INTERVAL_SECONDS = 60;
}
