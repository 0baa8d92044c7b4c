import type { DataSource, EntityManager } from 'typeorm';
import type { Rule } from '@app/core';
import { LookupCache } from '@app/platform/lookup-cache';

/** A handler as the workers run it (rules nested), cached briefly so each item costs no lookups. */
export interface HandlerRuntime {
  id: string;
  code: string;
  direction: 'inbound' | 'outbound';
  executionMode: 'rules' | 'callback';
  callback: string | null;
  maxRetries: number;
  rules: Rule[];
}

interface HandlerRow {
  id: string;
  code: string;
  direction: 'inbound' | 'outbound';
  execution_mode: 'rules' | 'callback';
  callback: string | null;
  max_retries: number;
  rules: Rule[] | null;
}

export class HandlerCache {
  private readonly cache: LookupCache<HandlerRuntime>;

  /** `ttlMs` 0: nothing is kept (the admin simulator reads the workers' query fresh). */
  constructor(dataSource: DataSource, ttlMs: number) {
    this.cache = new LookupCache((id) => this.load(id, dataSource), { ttlMs });
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
    return this.cache.get(handlerId, db && ((id) => this.load(id, db)));
  }

  private async load(
    handlerId: string,
    db: Pick<DataSource | EntityManager, 'query'>,
  ): Promise<HandlerRuntime | null> {
    const rows: HandlerRow[] = await db.query(
      `SELECT h.id, h.code, h.direction, h.execution_mode, h.callback, h.max_retries,
              COALESCE((SELECT json_agg(json_build_object(
                         'sequence', r.sequence, 'name', r.name, 'conditions', r.conditions,
                         'action', r.action, 'retrySeconds', r.retry_seconds,
                         'targetModel', r.target_model, 'lookups', r.lookups,
                         'assignments', r.assignments, 'forwardTo', r.forward_to)
                         ORDER BY r.sequence)
                  FROM handler_rules r WHERE r.handler_id = h.id), '[]') AS rules
         FROM handlers h WHERE h.id = $1`,
      [handlerId],
    );
    const row = rows[0];
    return row
      ? {
          id: row.id,
          code: row.code,
          direction: row.direction,
          executionMode: row.execution_mode,
          callback: row.callback,
          maxRetries: row.max_retries,
          rules: (row.rules ?? []).map(stripNulls),
        }
      : null;
  }
}

function stripNulls(rule: Rule): Rule {
  return Object.fromEntries(Object.entries(rule).filter(([, v]) => v !== null)) as unknown as Rule;
}
