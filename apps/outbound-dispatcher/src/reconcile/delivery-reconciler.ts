import {
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
  OnApplicationShutdown,
} from '@nestjs/common';
import { DataSource } from 'typeorm';
import { rescueThresholds } from '@app/messaging';
import { DeliveryQueue } from '@app/outbound';
import { APP_CONFIG, PeriodicTask, reconcilerActions } from '@app/platform';
import { rowsOf } from '@app/persistence';
import type { OutboundDispatcherConfig } from '../config';

/**
 * Postgres is the record; Redis is transport. Every interval:
 * - a `processing` delivery whose lease expired (its dispatcher died mid-request) gets an
 *   `interrupted` attempt row and returns to `queued` — the receiver may have seen that
 *   request, which is why deliveries carry a stable `webhook-id` for deduplication;
 * - every due `queued` delivery is enqueued again; job ids carry the attempt count, so a
 *   job still in Redis absorbs the re-add and nothing is sent twice concurrently.
 */
const BATCH = 1000;

@Injectable()
export class DeliveryReconciler implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(DeliveryReconciler.name);
  private readonly periodic: PeriodicTask;

  constructor(
    private readonly dataSource: DataSource,
    private readonly deliveries: DeliveryQueue,
    @Inject(APP_CONFIG) private readonly config: OutboundDispatcherConfig,
  ) {
    this.periodic = new PeriodicTask(
      this.config.RECONCILE_INTERVAL_SECONDS * 1000,
      () => this.reconcile(),
      (error) => this.logger.warn(`reconcile pass failed: ${String(error)}`),
    );
  }

  onApplicationBootstrap(): void {
    this.periodic.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.periodic.stop();
  }

  async reconcile(): Promise<{ interrupted: number; enqueued: number; rescued: number }> {
    // Released deliveries are enqueued at once: their old jobs died with their dispatcher
    // and still count as active in BullMQ, so the backlog test below would miss them.
    const released = await this.releaseExpiredLeases();
    await this.deliveries.enqueue(released);
    const interrupted = released.length;
    let enqueued = released.length;
    let after = '00000000-0000-0000-0000-000000000000';
    const [{ due }] = (await this.dataSource.query(
      `SELECT count(*)::int AS due FROM deliveries
        WHERE state = 'queued' AND (next_attempt_at IS NULL OR next_attempt_at <= now())`,
    )) as Array<{ due: number }>;
    const covered = await this.deliveries.coversBacklog(due);
    while (!covered) {
      const rows: Array<{ id: string; attempts: number }> = await this.dataSource.query(
        `SELECT id, attempts FROM deliveries
          WHERE state = 'queued' AND (next_attempt_at IS NULL OR next_attempt_at <= now()) AND id > $1
          ORDER BY id LIMIT $2`,
        [after, BATCH],
      );
      if (rows.length === 0) break;
      await this.deliveries.enqueue(rows);
      enqueued += rows.length;
      after = rows[rows.length - 1].id;
      if (rows.length < BATCH) break;
    }
    if (enqueued > 0) reconcilerActions.inc({ kind: 'outbound', action: 'enqueued' }, enqueued);
    const rescued = await this.rescueStalled();
    return { interrupted, enqueued, rescued };
  }

  /**
   * Queued deliveries that have been due for more than two passes yet are still unclaimed:
   * a job that should have run long ago. If BullMQ holds its job `active` for a dead
   * worker, or it has no job and has been due for ten passes (`lost`: a group carrying it
   * would have run by then, unless a long backlog is ahead of it — a copy is harmless),
   * `DeliveryQueue.rescueStalled` gives it a runnable one.
   */
  private async rescueStalled(): Promise<number> {
    const { overdueSeconds, lostSeconds } = rescueThresholds(
      this.config.RECONCILE_INTERVAL_SECONDS,
    );
    const rows: Array<{ id: string; attempts: number; lost: boolean }> =
      await this.dataSource.query(
        `SELECT id, attempts,
              COALESCE(next_attempt_at, updated_at) < now() - make_interval(secs => $3) AS lost
         FROM deliveries
        WHERE state = 'queued' AND COALESCE(next_attempt_at, updated_at) < now() - make_interval(secs => $1)
        ORDER BY COALESCE(next_attempt_at, updated_at) LIMIT $2`,
        [overdueSeconds, BATCH, lostSeconds],
      );
    const rescued = await this.deliveries.rescueStalled(rows);
    if (rescued > 0) {
      reconcilerActions.inc({ kind: 'outbound', action: 'rescued' }, rescued);
      this.logger.warn(
        `re-enqueued ${rescued} delivery(ies) whose job was stuck with a dead worker`,
      );
    }
    return rescued;
  }

  /** Returns the released deliveries; their next job id is new (attempt count moved on). */
  private async releaseExpiredLeases(): Promise<Array<{ id: string; attempts: number }>> {
    const result: unknown = await this.dataSource.query(
      `WITH expired AS (
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
    );
    const rows = rowsOf<{ id: string; attempts: number }>(result);
    if (rows.length > 0) {
      reconcilerActions.inc({ kind: 'outbound', action: 'lease_released' }, rows.length);
      this.logger.warn(`released ${rows.length} delivery(ies) whose dispatcher lease expired`);
    }
    return rows;
  }
}
