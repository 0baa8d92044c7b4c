import { rowsOf } from '../query-rows';
import { BaseRepository } from './base.repository';

/** What a stored `idempotency_keys` row holds; `body` is the encrypted answer. */
export interface IdempotencyKeyRow {
  request_hash: string;
  status: number | null;
  body: string | null;
}

/**
 * `idempotency_keys` (see its migration): the reservations of the admin API's
 * Idempotency-Key header. The statements moved here as they were (issue 22): each is one
 * guarded statement so concurrent requests race on the primary key or the guard, never
 * on a read-then-write.
 */
export class IdempotencyKeysRepository extends BaseRepository {
  /** A first reservation; false when the key is held (concurrent inserts: exactly one wins). */
  async insert(tenantId: string, key: string, requestHash: string): Promise<boolean> {
    const inserted = rowsOf(
      await this.manager.query(
        `INSERT INTO idempotency_keys (tenant_id, key, request_hash) VALUES ($1, $2, $3)
           ON CONFLICT (tenant_id, key) DO NOTHING RETURNING 1`,
        [tenantId, key, requestHash],
      ),
    );
    return inserted.length > 0;
  }

  /**
   * Takes over an expired row (older than `windowHours`) or an abandoned reservation
   * (no answer after `leaseSeconds`) in one guarded UPDATE, so two takers cannot both win.
   */
  async takeOver(
    tenantId: string,
    key: string,
    requestHash: string,
    windowHours: number,
    leaseSeconds: number,
  ): Promise<boolean> {
    const takenOver = rowsOf(
      await this.manager.query(
        `UPDATE idempotency_keys
              SET request_hash = $3, status = NULL, body = NULL, created_at = now(),
                  completed_at = NULL
            WHERE tenant_id = $1 AND key = $2
              AND (created_at < now() - make_interval(hours => $4)
                   OR (status IS NULL AND created_at < now() - make_interval(secs => $5)))
            RETURNING 1`,
        [tenantId, key, requestHash, windowHours, leaseSeconds],
      ),
    );
    return takenOver.length > 0;
  }

  async find(tenantId: string, key: string): Promise<IdempotencyKeyRow | null> {
    const [row] = rowsOf<IdempotencyKeyRow>(
      await this.manager.query(
        `SELECT request_hash, status, body FROM idempotency_keys
            WHERE tenant_id = $1 AND key = $2`,
        [tenantId, key],
      ),
    );
    return row ?? null;
  }

  /** Stores the (encrypted) answer of the request that holds the reservation. */
  async complete(tenantId: string, key: string, status: number, body: string): Promise<void> {
    await this.manager.query(
      `UPDATE idempotency_keys SET status = $3, body = $4, completed_at = now()
        WHERE tenant_id = $1 AND key = $2 AND status IS NULL`,
      [tenantId, key, status, body],
    );
  }

  /** Forgets a reservation that has no answer. */
  async release(tenantId: string, key: string): Promise<void> {
    await this.manager.query(
      `DELETE FROM idempotency_keys WHERE tenant_id = $1 AND key = $2 AND status IS NULL`,
      [tenantId, key],
    );
  }

  /** Deletes up to `limit` rows older than `windowHours`; answers how many. */
  async purge(windowHours: number, limit: number): Promise<number> {
    const outcome = (await this.manager.query(
      `DELETE FROM idempotency_keys k USING (
         SELECT tenant_id, key FROM idempotency_keys
          WHERE created_at < now() - make_interval(hours => $1)
          LIMIT $2 FOR UPDATE SKIP LOCKED) old
        WHERE k.tenant_id = old.tenant_id AND k.key = old.key`,
      [windowHours, limit],
    )) as unknown;
    // pg answers a DELETE as [rows, affected].
    return Array.isArray(outcome) && typeof outcome[1] === 'number' ? outcome[1] : 0;
  }
}
