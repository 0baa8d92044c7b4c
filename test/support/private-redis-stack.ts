import { PrivateRedis } from '../chaos/support/private-redis';
import { startHarness, type Harness } from './harness';
import { startSink, type Sink } from './sink';

export interface PrivateRedisStack {
  redis: PrivateRedis;
  harness: Harness;
  sink: Sink;
  /** Brings Redis back if a test left it killed (the apps close cleanly then), then stops all. */
  close(): Promise<void>;
}

/**
 * Admin, gateway and dispatcher on a Redis server of their own (the shared one is never
 * stopped), with a loopback sink: the stack the Redis-outage tests kill and restart Redis
 * under. `env` adds to the apps' environment (a 1 s reconcile interval by default).
 */
export async function startPrivateRedisStack(
  env: Record<string, string> = {},
): Promise<PrivateRedisStack> {
  const redis = await PrivateRedis.start();
  const sink = await startSink();
  const harness = await startHarness({
    dispatcher: true,
    env: {
      REDIS_URL: redis.url,
      OUTBOUND_ALLOW_PRIVATE_NETWORKS: 'true',
      RECONCILE_INTERVAL_SECONDS: '1',
      ...env,
    },
  });
  return {
    redis,
    harness,
    sink,
    async close() {
      if (!redis.running) await redis.restart().catch(() => undefined);
      await harness.close();
      await sink.close();
      await redis.stop();
    },
  };
}
