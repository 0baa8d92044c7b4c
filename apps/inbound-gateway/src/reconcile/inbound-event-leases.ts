import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { SqlLeaseStore } from '@app/persistence';

/**
 * The lease reconciler's SQL for inbound events (messaging's LeaseReconciler runs the
 * passes): a `processing` event whose lease expired returns to `received`; `received`
 * events are due once `due_at` (a rule's retry delay) has passed.
 */
@Injectable()
export class InboundEventLeases extends SqlLeaseStore {
  constructor(dataSource: DataSource) {
    super(dataSource, {
      releaseExpired: `UPDATE inbound_events SET state = 'received', lease_until = NULL, updated_at = now()
        WHERE state = 'processing' AND lease_until < now()
        RETURNING id, attempts`,
      countDue: `SELECT count(*)::int AS due FROM inbound_events
        WHERE state = 'received' AND (due_at IS NULL OR due_at <= now())`,
      dueAfter: `SELECT id, attempts FROM inbound_events
        WHERE state = 'received' AND (due_at IS NULL OR due_at <= now()) AND id > $1
        ORDER BY id LIMIT $2`,
      overdue: `SELECT id, attempts, COALESCE(due_at, updated_at) < now() - make_interval(secs => $3) AS lost
         FROM inbound_events
        WHERE state = 'received' AND COALESCE(due_at, updated_at) < now() - make_interval(secs => $1)
        ORDER BY COALESCE(due_at, updated_at) LIMIT $2`,
    });
  }
}
