import { LRUCache } from 'lru-cache';

/**
 * The one read-through cache for configuration the apps look up (inbound endpoints by
 * path, outbound endpoints, handlers, connectors by id), bounded in count and time. Keys
 * may arrive from outside (the gateway's `/webhooks/<path>`): anyone can send any key, so
 * what a stranger sends must not cost what a known key is worth.
 * - Keys that exist (`found`) and keys that do not (`missing`) are kept in two bounded LRU
 *   caches with a TTL: a flood of made-up keys evicts only other made-up keys, never the
 *   hot ones, and a repeated made-up key costs one load per TTL, not one per request.
 * - Concurrent gets of a key that is not cached share one load.
 * - `invalidate*` drops what a configuration change may have made wrong, and a load that
 *   was already running when it happened does not put its (possibly stale) answer back.
 */
export interface LookupCacheOptions {
  /** How long a found value is reused; 0 or less: nothing is kept, every get loads. */
  ttlMs: number;
  /** At most this many found values (least recently used evicted first). Default 10,000. */
  maxEntries?: number;
  /** How long a key known to be missing is answered without a load (default ttlMs). */
  missingTtlMs?: number;
  /** At most this many missing keys remembered (default maxEntries). */
  maxMissing?: number;
}

export type LookupResult = 'found' | 'missing';

export const DEFAULT_MAX_ENTRIES = 10_000;

export class LookupCache<V extends object> {
  private readonly found: LRUCache<string, V>;
  private readonly missing: LRUCache<string, true>;
  private readonly inflight = new Map<string, Promise<V | null>>();
  /** Bumped by every invalidation: loads begun before it do not store their answer. */
  private generation = 0;
  private readonly keeps: boolean;

  constructor(
    private readonly load: (key: string) => Promise<V | null>,
    options: LookupCacheOptions,
    /** Told of every load and its result (metrics, tests). */
    private readonly onLoad: (result: LookupResult) => void = () => undefined,
  ) {
    // lru-cache reads a TTL of 0 as "never expires": a cache that keeps nothing is kept apart.
    this.keeps = options.ttlMs > 0;
    const max = options.maxEntries ?? DEFAULT_MAX_ENTRIES;
    this.found = new LRUCache<string, V>({ max, ttl: Math.max(options.ttlMs, 1) });
    this.missing = new LRUCache<string, true>({
      max: options.maxMissing ?? max,
      ttl: Math.max(options.missingTtlMs ?? options.ttlMs, 1),
    });
  }

  /**
   * `load`: a caller that holds a connection (a transaction) passes a loader reading on it.
   * Such a miss neither joins nor offers a shared load, so it never waits for a pool
   * connection someone else is waiting for; its answer is still kept.
   */
  async get(key: string, load?: (key: string) => Promise<V | null>): Promise<V | null> {
    const hit = this.found.get(key);
    if (hit !== undefined) return hit;
    if (this.missing.get(key)) return null;
    if (load) return this.loadAndKeep(key, load);
    const pending = this.inflight.get(key);
    if (pending) return pending;
    const loading = this.loadAndKeep(key, this.load).finally(() => {
      if (this.inflight.get(key) === loading) this.inflight.delete(key);
    });
    this.inflight.set(key, loading);
    return loading;
  }

  private async loadAndKeep(
    key: string,
    load: (key: string) => Promise<V | null>,
  ): Promise<V | null> {
    const generation = this.generation;
    const value = await load(key);
    this.onLoad(value === null ? 'missing' : 'found');
    if (this.keeps && generation === this.generation) {
      if (value === null) this.missing.set(key, true);
      else this.found.set(key, value);
    }
    return value;
  }

  /**
   * Drops the found values `matches` picks and every missing key (a change can make a
   * missing key exist: a created endpoint, a path renamed to it). Other found values stay.
   */
  invalidateWhere(matches: (value: V, key: string) => boolean): void {
    this.generation += 1;
    this.inflight.clear();
    this.missing.clear();
    const doomed = [...this.found.entries()].filter(([key, value]) => matches(value, key));
    for (const [key] of doomed) this.found.delete(key);
  }

  /** Drops everything. */
  clear(): void {
    this.invalidateWhere(() => true);
  }

  /** Drops `key` (and every missing key, see invalidateWhere); without a key, everything. */
  invalidate(key?: string): void {
    if (key === undefined) this.clear();
    else this.invalidateWhere((_, k) => k === key);
  }

  /** How many found and missing keys are held (tests, metrics). */
  get size(): { found: number; missing: number } {
    return { found: this.found.size, missing: this.missing.size };
  }
}
