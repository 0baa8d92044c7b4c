import { BaseConfig, IsPort } from '@app/platform';

/** The admin app's configuration: SPEC §2. */
export class AdminConfig extends BaseConfig {
  @IsPort()
  ADMIN_PORT = 3001;
}
