import type { DataSource, EntityManager } from 'typeorm';
import { LookupCache } from '@app/platform/lookup-cache';
import { loadHandlerRuntime, type HandlerRuntime } from '../repositories/handlers.repository';

export type { HandlerRuntime } from '../repositories/handlers.repository';

/** Handlers as the workers run them, cached briefly so each item costs no lookups. */
export class HandlerCache {
  private readonly cache: LookupCache<HandlerRuntime>;

  /** `ttlMs` 0: nothing is kept (the admin simulator reads the workers' query fresh). */
  constructor(dataSource: DataSource, ttlMs: number) {
    this.cache = new LookupCache((id) => loadHandlerRuntime(dataSource, id), { ttlMs });
  }

  invalidate(handlerId?: string): void {
    this.cache.invalidate(handlerId);
  }

  /**
   * `db`: a caller inside a transaction passes its EntityManager, so a cache miss reads on
   * the connection it already holds instead of waiting for a second one from the pool.
   */
  get(
    handlerId: string,
    db?: Pick<DataSource | EntityManager, 'query'>,
  ): Promise<HandlerRuntime | null> {
    return this.cache.get(handlerId, db && ((id) => loadHandlerRuntime(db, id)));
  }
}
