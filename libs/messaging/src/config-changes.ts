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
  // A malformed announcement is ignored; the cache TTL still bounds staleness.
  return subscribeJsonChannel(target, configChannel(prefix), (value) =>
    onChange(value as ConfigChange),
  );
}

/**
 * The subscriber side of Hookgate's JSON announcements on one Redis channel: a connection
 * of its own, messages of other channels and unparsable ones ignored (announcements are
 * hints; their readers have a fallback). Returns the function that unsubscribes.
 */
export function subscribeJsonChannel(
  target: RedisTarget,
  channel: string,
  onMessage: (value: unknown) => void,
): () => Promise<void> {
  const subscriber = createRedisConnection(target, 'worker');
  subscriber.subscribe(channel).catch(() => undefined);
  subscriber.on('message', (received: string, message: string) => {
    if (received !== channel) return;
    let value: unknown;
    try {
      value = JSON.parse(message);
    } catch {
      return;
    }
    onMessage(value);
  });
  return async () => {
    subscriber.disconnect();
  };
}
