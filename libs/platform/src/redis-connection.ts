import Redis, { type RedisOptions } from 'ioredis';

/**
 * Redis connections for BullMQ. Workers need `maxRetriesPerRequest: null` (blocking
 * commands); producers on a request path should fail fast instead of hanging, so they get
 * a bounded retry count and an offline queue that does not grow without bound.
 */
export type RedisRole = 'worker' | 'producer';

export function createRedisConnection(
  url: string,
  role: RedisRole,
  extra: RedisOptions = {},
): Redis {
  const options: RedisOptions =
    role === 'worker'
      ? { maxRetriesPerRequest: null, enableReadyCheck: true }
      : { maxRetriesPerRequest: 1, enableOfflineQueue: false, connectTimeout: 2000 };
  const connection = new Redis(url, { lazyConnect: false, ...options, ...extra });
  // ioredis reconnects by itself; callers and readiness checks see the failures. Without a
  // listener every reconnect attempt would print an "unhandled error event" line.
  connection.on('error', () => undefined);
  return connection;
}
