import {
  createRedisConnection,
  type RedisClient,
  type RedisTarget,
} from '@app/platform/redis-connection';

/**
 * Configuration changes made through the admin API are announced on a Redis channel so
 * every gateway and dispatcher drops its cached copy at once instead of waiting for the
 * cache TTL. The TTL stays as the safety net when Redis is unreachable.
 */
export type ConfigEntity =
  'inbound-endpoint' | 'handler' | 'outbound-endpoint' | 'connector' | 'tenant';

export interface ConfigChange {
  entity: ConfigEntity;
  id: string;
}

export function configChannel(prefix: string): string {
  return `${prefix}:config-changed`;
}

export async function publishConfigChange(
  redis: RedisClient,
  prefix: string,
  change: ConfigChange,
): Promise<void> {
  await redis.publish(configChannel(prefix), JSON.stringify(change));
}

/**
 * Subscribes on a connection of its own; returns the function that unsubscribes. On a
 * Redis Cluster the subscription sits on one node, and PUBLISH on any node reaches it
 * (the cluster bus broadcasts classic pub/sub).
 */
export function subscribeConfigChanges(
  target: RedisTarget,
  prefix: string,
  onChange: (change: ConfigChange) => void,
): () => Promise<void> {
  const subscriber = createRedisConnection(target, 'worker');
  const channel = configChannel(prefix);
  subscriber.subscribe(channel).catch(() => undefined);
  subscriber.on('message', (received: string, message: string) => {
    if (received !== channel) return;
    try {
      onChange(JSON.parse(message) as ConfigChange);
    } catch {
      // A malformed announcement is ignored; the cache TTL still bounds staleness.
    }
  });
  return async () => {
    subscriber.disconnect();
  };
}
