import { OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import type { RedisTarget } from '@app/platform/redis-connection';
import { subscribeConfigChanges, type ConfigChange, type ConfigEntity } from './config-changes';

/**
 * What an app drops when a change is announced: per entity, a function given the changed
 * row's id; `otherwise` for an entity with no route (a new kind of change, say), which
 * should drop everything it may affect.
 */
export type ConfigChangeRoutes = { [E in ConfigEntity]?: (id: string) => void } & {
  otherwise: (change: ConfigChange) => void;
};

/**
 * Drops an app's cached configuration when the admin API announces a change, for the
 * app's lifetime (subscribed on bootstrap, on a Redis connection of its own).
 */
export class ConfigChangeListener implements OnApplicationBootstrap, OnApplicationShutdown {
  private unsubscribe: (() => Promise<void>) | undefined;

  constructor(
    private readonly redis: RedisTarget & { QUEUE_PREFIX: string },
    private readonly routes: ConfigChangeRoutes,
  ) {}

  /** Routes one announcement (also what tests call). */
  apply(change: ConfigChange): void {
    const route = this.routes[change.entity];
    if (route) route(change.id);
    else this.routes.otherwise(change);
  }

  onApplicationBootstrap(): void {
    this.unsubscribe = subscribeConfigChanges(this.redis, this.redis.QUEUE_PREFIX, (change) =>
      this.apply(change),
    );
  }

  async onApplicationShutdown(): Promise<void> {
    await this.unsubscribe?.();
  }
}
