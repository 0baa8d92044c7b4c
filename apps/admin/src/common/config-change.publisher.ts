import { Inject, Injectable, Logger } from '@nestjs/common';
import { publishConfigChange, type ConfigChange } from '@app/messaging';
import { APP_CONFIG, REDIS_CLIENT, type BaseConfig, type RedisClient } from '@app/platform';

/** Announces configuration changes so gateways and dispatchers drop cached copies at once. */
@Injectable()
export class ConfigChangePublisher {
  private readonly logger = new Logger(ConfigChangePublisher.name);

  constructor(
    @Inject(REDIS_CLIENT) private readonly redis: RedisClient,
    @Inject(APP_CONFIG) private readonly config: BaseConfig,
  ) {}

  async announce(change: ConfigChange): Promise<void> {
    try {
      await publishConfigChange(this.redis, this.config.QUEUE_PREFIX, change);
    } catch (error) {
      // Caches expire by themselves within their TTL; a missed announcement only delays.
      this.logger.warn(`could not announce ${change.entity} ${change.id}: ${String(error)}`);
    }
  }
}
