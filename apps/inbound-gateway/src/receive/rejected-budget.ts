import type { RedisClient } from '@app/platform';

/**
 * Bounds what rejected requests (bad signature, stale, unreadable) may store, so a flood
 * of forged requests cannot fill the database: per endpoint and minute, at most
 * `maxEvents` rows and `maxBytes` bytes (stored body prefix, headers, URL and query).
 *
 * The budget is shared by every gateway replica through one Redis hash per endpoint and
 * minute (key under QUEUE_PREFIX, checked and charged in one script, so replicas cannot
 * overshoot it together), on the app's fail-fast Redis connection. Fails closed: while
 * Redis is not connected or does not answer within `redisTimeoutMs`, only a small
 * per-process budget (`localMaxBytes`) is stored, never the shared one again per replica. Excess rejections are answered the same way, only counted in a metric.
 */
export interface RejectedBudgetOptions {
  /** Bytes of rejected requests stored per endpoint and minute, across all replicas. */
  maxBytes: number;
  /** Bytes per endpoint and minute this process stores while Redis is unavailable. */
  localMaxBytes: number;
  /** Ceiling on an endpoint's own `rejectedPerMinute`. */
  maxEventsCeiling: number;
  /** Redis key prefix (QUEUE_PREFIX). */
  prefix: string;
  redisTimeoutMs?: number;
}

/** Checks and charges one endpoint-minute: ARGV = bytes, max events, max bytes, ttl. */
const TAKE_SCRIPT = `
local used = redis.call('HMGET', KEYS[1], 'events', 'bytes')
local events = tonumber(used[1] or '0')
local bytes = tonumber(used[2] or '0')
if events + 1 > tonumber(ARGV[2]) or bytes + tonumber(ARGV[1]) > tonumber(ARGV[3]) then
  return 0
end
redis.call('HINCRBY', KEYS[1], 'events', 1)
redis.call('HINCRBY', KEYS[1], 'bytes', ARGV[1])
redis.call('EXPIRE', KEYS[1], ARGV[4])
return 1`;

export class RejectedBudget {
  private readonly local = new Map<string, { minute: number; events: number; bytes: number }>();

  constructor(
    private readonly redis: RedisClient,
    private readonly options: RejectedBudgetOptions,
  ) {}

  /** True when a rejected request costing `bytes` may be stored for the endpoint now. */
  async take(
    endpointId: string,
    rejectedPerMinute: number,
    bytes: number,
    now = Date.now(),
  ): Promise<boolean> {
    const maxEvents = Math.min(rejectedPerMinute, this.options.maxEventsCeiling);
    if (maxEvents < 1 || bytes > this.options.maxBytes) return false;
    const minute = Math.floor(now / 60_000);
    try {
      if (this.redis.status !== 'ready') throw new Error('rejected budget: Redis is not connected');
      const taken = await this.withTimeout(
        this.redis.eval(
          TAKE_SCRIPT,
          1,
          `${this.options.prefix}:rejected-budget:${endpointId}:${minute}`,
          bytes,
          maxEvents,
          this.options.maxBytes,
          120,
        ),
      );
      return taken === 1;
    } catch {
      return this.takeLocal(endpointId, maxEvents, bytes, minute);
    }
  }

  private takeLocal(endpointId: string, maxEvents: number, bytes: number, minute: number): boolean {
    let window = this.local.get(endpointId);
    if (!window || window.minute !== minute) {
      if (this.local.size > 10_000) this.local.clear();
      window = { minute, events: 0, bytes: 0 };
      this.local.set(endpointId, window);
    }
    if (window.events + 1 > maxEvents || window.bytes + bytes > this.options.localMaxBytes) {
      return false;
    }
    window.events += 1;
    window.bytes += bytes;
    return true;
  }

  private withTimeout<T>(promise: Promise<T>): Promise<T> {
    const ms = this.options.redisTimeoutMs ?? 250;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('rejected budget: Redis timed out')), ms);
      promise.then(
        (value) => {
          clearTimeout(timer);
          resolve(value);
        },
        (error: unknown) => {
          clearTimeout(timer);
          reject(error instanceof Error ? error : new Error(String(error)));
        },
      );
    });
  }
}
