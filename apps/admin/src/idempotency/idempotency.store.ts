import { Inject, Injectable } from '@nestjs/common';
import { IdempotencyKeysRepository, type SecretBox } from '@app/persistence';
import { SECRET_BOX } from '@app/platform';

/**
 * The Idempotency-Key reservations, over `idempotency_keys` (IdempotencyKeysRepository). A key is remembered for WINDOW; a
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
    private readonly keys: IdempotencyKeysRepository,
    @Inject(SECRET_BOX) private readonly secrets: SecretBox,
  ) {}

  /**
   * Reserves `key` for this request, or says what holds it. Concurrent first requests race
   * on the primary key: exactly one insert wins. An expired or abandoned row is taken over
   * in one guarded UPDATE, so two takers cannot both win either.
   */
  async reserve(tenantId: string, key: string, requestHash: string): Promise<Reservation> {
    for (let round = 0; round < 3; round++) {
      if (await this.keys.insert(tenantId, key, requestHash)) return { kind: 'reserved' };
      const takenOver = await this.keys.takeOver(
        tenantId,
        key,
        requestHash,
        IDEMPOTENCY_WINDOW_HOURS,
        IDEMPOTENCY_LEASE_SECONDS,
      );
      if (takenOver) return { kind: 'reserved' };
      const row = await this.keys.find(tenantId, key);
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
    await this.keys.complete(
      tenantId,
      key,
      status,
      this.secrets.encrypt(JSON.stringify(body ?? null)),
    );
  }

  /** Forgets a reservation whose request failed: nothing was created, the key may be reused. */
  async release(tenantId: string, key: string): Promise<void> {
    await this.keys.release(tenantId, key);
  }

  /** Deletes up to `limit` rows older than the window; answers how many. */
  async purge(limit: number): Promise<number> {
    return this.keys.purge(IDEMPOTENCY_WINDOW_HOURS, limit);
  }
}
