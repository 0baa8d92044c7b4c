import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { SqlLeaseStore } from '@app/persistence';

/**
 * The lease reconciler's SQL for deliveries (messaging's LeaseReconciler runs the passes).
 * A `processing` delivery whose lease expired (its dispatcher died mid-request) gets an
 * `interrupted` attempt row and returns to `queued` — the receiver may have seen that
 * request, which is why deliveries carry a stable `webhook-id` for deduplication.
 * `queued` deliveries are due once `next_attempt_at` has passed.
 */
@Injectable()
export class DeliveryLeases extends SqlLeaseStore {
  constructor(dataSource: DataSource) {
    super(dataSource, {
      releaseExpired: `WITH expired AS (
         UPDATE deliveries SET state = 'queued', lease_until = NULL, next_attempt_at = now(), updated_at = now(),
                last_error = 'attempt interrupted: the dispatcher stopped before recording its outcome'
          WHERE state = 'processing' AND lease_until < now()
          RETURNING id, tenant_id, endpoint_id, attempts),
       logged AS (
         INSERT INTO delivery_attempts (delivery_id, tenant_id, endpoint_id, attempt_number, started_at, finished_at,
                                        duration_ms, error, error_class, outcome)
         SELECT id, tenant_id, endpoint_id, attempts, now(), now(), 0,
                'interrupted: the dispatcher stopped before recording this attempt', 'interrupted', 'interrupted'
           FROM expired
         ON CONFLICT (delivery_id, attempt_number) DO NOTHING)
       SELECT id, attempts FROM expired`,
      countDue: `SELECT count(*)::int AS due FROM deliveries
        WHERE state = 'queued' AND (next_attempt_at IS NULL OR next_attempt_at <= now())`,
      dueAfter: `SELECT id, attempts FROM deliveries
        WHERE state = 'queued' AND (next_attempt_at IS NULL OR next_attempt_at <= now()) AND id > $1
        ORDER BY id LIMIT $2`,
      overdue: `SELECT id, attempts,
              COALESCE(next_attempt_at, updated_at) < now() - make_interval(secs => $3) AS lost
         FROM deliveries
        WHERE state = 'queued' AND COALESCE(next_attempt_at, updated_at) < now() - make_interval(secs => $1)
        ORDER BY COALESCE(next_attempt_at, updated_at) LIMIT $2`,
    });
  }
}
