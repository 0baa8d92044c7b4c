import type { RedisClient } from '@app/platform';

/**
 * Per-endpoint deliveries-per-second limit shared by every dispatcher process (a Redis
 * counter per endpoint and second). Over the limit a delivery is not dropped: the caller
 * puts it back with the wait this returns.
 */
export class RateLimiter {
  constructor(
    private readonly redis: RedisClient,
    private readonly prefix: string,
  ) {}

  /** 0 when the delivery may go now, otherwise milliseconds to wait. */
  async acquire(endpointId: string, perSecond: number, now = Date.now()): Promise<number> {
    const second = Math.floor(now / 1000);
    const key = `${this.prefix}:rate:${endpointId}:${second}`;
    try {
      const count = await this.redis.incr(key);
      if (count === 1) await this.redis.expire(key, 2);
      if (count <= perSecond) return 0;
      // Spread the overflow over the following seconds instead of stampeding the next one.
      const secondsAhead = Math.floor((count - 1) / perSecond);
      return secondsAhead * 1000 - (now % 1000) + Math.floor(Math.random() * 50);
    } catch {
      // Without Redis there is no queue either; letting the delivery through is harmless.
      return 0;
    }
  }
}
