import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { rowsOf, type SecretBox } from '@app/persistence';
import { SECRET_BOX } from '@app/platform';

/**
 * All SQL of `idempotency_keys` (see its migration). A key is remembered for WINDOW; a
 * reservation whose request never completed (the process died mid-request) is given up
 * after LEASE, so the key is not blocked until the purge.
 */
export const IDEMPOTENCY_WINDOW_HOURS = 24;
export const IDEMPOTENCY_LEASE_SECONDS = 60;

export type Reservation =
  | { kind: 'reserved' }
  | { kind: 'completed'; requestHash: string; status: number; body: unknown }
  | { kind: 'pending'; requestHash: string };

@Injectable()
export class IdempotencyStore {
  constructor(
    private readonly dataSource: DataSource,
    @Inject(SECRET_BOX) private readonly secrets: SecretBox,
  ) {}

  /**
   * Reserves `key` for this request, or says what holds it. Concurrent first requests race
   * on the primary key: exactly one insert wins. An expired or abandoned row is taken over
   * in one guarded UPDATE, so two takers cannot both win either.
   */
  async reserve(tenantId: string, key: string, requestHash: string): Promise<Reservation> {
    for (let round = 0; round < 3; round++) {
      const inserted = rowsOf(
        await this.dataSource.query(
          `INSERT INTO idempotency_keys (tenant_id, key, request_hash) VALUES ($1, $2, $3)
           ON CONFLICT (tenant_id, key) DO NOTHING RETURNING 1`,
          [tenantId, key, requestHash],
        ),
      );
      if (inserted.length > 0) return { kind: 'reserved' };
      const takenOver = rowsOf(
        await this.dataSource.query(
          `UPDATE idempotency_keys
              SET request_hash = $3, status = NULL, body = NULL, created_at = now(),
                  completed_at = NULL
            WHERE tenant_id = $1 AND key = $2
              AND (created_at < now() - make_interval(hours => $4)
                   OR (status IS NULL AND created_at < now() - make_interval(secs => $5)))
            RETURNING 1`,
          [tenantId, key, requestHash, IDEMPOTENCY_WINDOW_HOURS, IDEMPOTENCY_LEASE_SECONDS],
        ),
      );
      if (takenOver.length > 0) return { kind: 'reserved' };
      const [row] = rowsOf<{ request_hash: string; status: number | null; body: string | null }>(
        await this.dataSource.query(
          `SELECT request_hash, status, body FROM idempotency_keys
            WHERE tenant_id = $1 AND key = $2`,
          [tenantId, key],
        ),
      );
      // Released or purged between the statements: try to reserve it again.
      if (!row) continue;
      if (row.status === null || row.body === null)
        return { kind: 'pending', requestHash: row.request_hash };
      return {
        kind: 'completed',
        requestHash: row.request_hash,
        status: row.status,
        body: JSON.parse(this.secrets.decrypt(row.body)) as unknown,
      };
    }
    return { kind: 'pending', requestHash: requestHash };
  }

  /** Stores the answer of the request that holds the reservation. */
  async complete(tenantId: string, key: string, status: number, body: unknown): Promise<void> {
    await this.dataSource.query(
      `UPDATE idempotency_keys SET status = $3, body = $4, completed_at = now()
        WHERE tenant_id = $1 AND key = $2 AND status IS NULL`,
      [tenantId, key, status, this.secrets.encrypt(JSON.stringify(body ?? null))],
    );
  }

  /** Forgets a reservation whose request failed: nothing was created, the key may be reused. */
  async release(tenantId: string, key: string): Promise<void> {
    await this.dataSource.query(
      `DELETE FROM idempotency_keys WHERE tenant_id = $1 AND key = $2 AND status IS NULL`,
      [tenantId, key],
    );
  }

  /** Deletes up to `limit` rows older than the window; answers how many. */
  async purge(limit: number): Promise<number> {
    const outcome = (await this.dataSource.query(
      `DELETE FROM idempotency_keys k USING (
         SELECT tenant_id, key FROM idempotency_keys
          WHERE created_at < now() - make_interval(hours => $1)
          LIMIT $2 FOR UPDATE SKIP LOCKED) old
        WHERE k.tenant_id = old.tenant_id AND k.key = old.key`,
      [IDEMPOTENCY_WINDOW_HOURS, limit],
    )) as unknown;
    // pg answers a DELETE as [rows, affected].
    return Array.isArray(outcome) && typeof outcome[1] === 'number' ? outcome[1] : 0;
  }
}
