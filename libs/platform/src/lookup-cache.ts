import { LRUCache } from 'lru-cache';

/**
 * A read-through cache for lookups by a key that arrives from outside (the gateway's
 * `/webhooks/<path>`): anyone can send any key, so what a stranger sends must not cost
 * what a known key is worth.
 * - Keys that exist (`found`) and keys that do not (`missing`) are kept in two bounded LRU
 *   caches with a TTL: a flood of made-up keys evicts only other made-up keys, never the
 *   hot ones, and a repeated made-up key costs one load per TTL, not one per request.
 * - Concurrent gets of a key that is not cached share one load.
 * - `invalidate*` drops what a configuration change may have made wrong, and a load that
 *   was already running when it happened does not put its (possibly stale) answer back.
 */
export interface LookupCacheOptions {
  /** How long a found value is reused. */
  ttlMs: number;
  /** At most this many found values (least recently used evicted first). */
  maxEntries: number;
  /** How long a key known to be missing is answered without a load (default ttlMs). */
  missingTtlMs?: number;
  /** At most this many missing keys remembered (default maxEntries). */
  maxMissing?: number;
}

export type LookupResult = 'found' | 'missing';

export class LookupCache<V extends object> {
  private readonly found: LRUCache<string, V>;
  private readonly missing: LRUCache<string, true>;
  private readonly inflight = new Map<string, Promise<V | null>>();
  /** Bumped by every invalidation: loads begun before it do not store their answer. */
  private generation = 0;

  constructor(
    private readonly load: (key: string) => Promise<V | null>,
    options: LookupCacheOptions,
    /** Told of every load and its result (metrics, tests). */
    private readonly onLoad: (result: LookupResult) => void = () => undefined,
  ) {
    this.found = new LRUCache<string, V>({ max: options.maxEntries, ttl: options.ttlMs });
    this.missing = new LRUCache<string, true>({
      max: options.maxMissing ?? options.maxEntries,
      ttl: options.missingTtlMs ?? options.ttlMs,
    });
  }

  async get(key: string): Promise<V | null> {
    const hit = this.found.get(key);
    if (hit !== undefined) return hit;
    if (this.missing.get(key)) return null;
    const pending = this.inflight.get(key);
    if (pending) return pending;
    const generation = this.generation;
    const load = this.load(key)
      .then((value) => {
        this.onLoad(value === null ? 'missing' : 'found');
        if (generation === this.generation) {
          if (value === null) this.missing.set(key, true);
          else this.found.set(key, value);
        }
        return value;
      })
      .finally(() => {
        if (this.inflight.get(key) === load) this.inflight.delete(key);
      });
    this.inflight.set(key, load);
    return load;
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

  /** How many found and missing keys are held (tests, metrics). */
  get size(): { found: number; missing: number } {
    return { found: this.found.size, missing: this.missing.size };
  }
}
