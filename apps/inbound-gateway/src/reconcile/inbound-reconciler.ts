import { InjectQueue } from '@nestjs/bullmq';
import {
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
  OnApplicationShutdown,
} from '@nestjs/common';
import type { Queue } from 'bullmq';
import { DataSource } from 'typeorm';
import {
  EVENT_GROUP_MAX,
  InboundEventsJob,
  itemJobId,
  queueCoversBacklog,
  rerunJobId,
  rescueThresholds,
  rowsToRescue,
  QueueName,
  type ProcessInboundEventJob,
} from '@app/messaging';
import { APP_CONFIG, PeriodicTask, reconcilerActions } from '@app/platform';
import { rowsOf } from '@app/persistence';
import type { InboundGatewayConfig } from '../config';

/**
 * Postgres is the record; Redis is transport. Every interval this returns `processing`
 * events whose lease expired (their worker died) to `received`, and enqueues every due
 * `received` event again when the queue's runnable jobs cannot carry them all. Job ids
 * are `<event>-<attempts>`, so a job that still exists absorbs the re-add; a copy that
 * slips past a `process-group` costs a claim that finds nothing, and nothing runs twice.
 */
const BATCH = 1000;

@Injectable()
export class InboundReconciler implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(InboundReconciler.name);
  private readonly periodic: PeriodicTask;

  constructor(
    private readonly dataSource: DataSource,
    @InjectQueue(QueueName.InboundEvents) private readonly queue: Queue<ProcessInboundEventJob>,
    @Inject(APP_CONFIG) private readonly config: InboundGatewayConfig,
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

  /** One pass; returns what it did (tests call it directly). */
  async reconcile(): Promise<{ released: number; enqueued: number; rescued: number }> {
    // Released events are enqueued at once: their old jobs died with their worker and
    // still count as active in BullMQ, so the backlog test below would miss them.
    const releasedRows = await this.releaseExpiredLeases();
    await this.addJobs(releasedRows);
    const released = releasedRows.length;
    let enqueued = released;
    let after = '00000000-0000-0000-0000-000000000000';
    const [{ due }] = (await this.dataSource.query(
      `SELECT count(*)::int AS due FROM inbound_events
        WHERE state = 'received' AND (due_at IS NULL OR due_at <= now())`,
    )) as Array<{ due: number }>;
    // A runnable job may be a process-group: count each as a full group.
    const covered = await queueCoversBacklog(this.queue, due, EVENT_GROUP_MAX);
    while (!covered) {
      const rows: Array<{ id: string; attempts: number }> = await this.dataSource.query(
        `SELECT id, attempts FROM inbound_events
          WHERE state = 'received' AND (due_at IS NULL OR due_at <= now()) AND id > $1
          ORDER BY id LIMIT $2`,
        [after, BATCH],
      );
      if (rows.length === 0) break;
      await this.addJobs(rows);
      enqueued += rows.length;
      after = rows[rows.length - 1].id;
      if (rows.length < BATCH) break;
    }
    if (enqueued > 0) reconcilerActions.inc({ kind: 'inbound', action: 'enqueued' }, enqueued);
    const rescued = await this.rescueStalled();
    return { released, enqueued, rescued };
  }

  private async addJobs(rows: Array<{ id: string; attempts: number }>): Promise<void> {
    if (rows.length === 0) return;
    await this.queue.addBulk(
      rows.map((row) => ({
        name: InboundEventsJob.Process,
        data: { eventId: row.id },
        opts: { jobId: itemJobId(row.id, row.attempts) },
      })),
    );
  }

  /**
   * `received` events due for more than two passes yet still unprocessed: those whose own
   * job is stuck `active` with a dead worker, or that have no job and are `lost`, get a
   * runnable one (see messaging's rowsToRescue). The claim is atomic in Postgres, so a
   * stalled job that does run later finds nothing to do.
   */
  private async rescueStalled(): Promise<number> {
    const { overdueSeconds, lostSeconds } = rescueThresholds(
      this.config.RECONCILE_INTERVAL_SECONDS,
    );
    const rows: Array<{ id: string; attempts: number; lost: boolean }> =
      await this.dataSource.query(
        `SELECT id, attempts, COALESCE(due_at, updated_at) < now() - make_interval(secs => $3) AS lost
         FROM inbound_events
        WHERE state = 'received' AND COALESCE(due_at, updated_at) < now() - make_interval(secs => $1)
        ORDER BY COALESCE(due_at, updated_at) LIMIT $2`,
        [overdueSeconds, BATCH, lostSeconds],
      );
    const stuck = await rowsToRescue(this.queue, rows);
    if (stuck.length === 0) return 0;
    await this.queue.addBulk(
      stuck.map((row) => ({
        name: InboundEventsJob.Process,
        data: { eventId: row.id },
        opts: {
          jobId: row.rerun ? rerunJobId(row.id, row.attempts) : itemJobId(row.id, row.attempts),
        },
      })),
    );
    reconcilerActions.inc({ kind: 'inbound', action: 'rescued' }, stuck.length);
    this.logger.warn(
      `re-enqueued ${stuck.length} inbound event(s) whose job was stuck with a dead worker`,
    );
    return stuck.length;
  }

  /** Returns the released events; their next job id is new (attempt count moved on). */
  private async releaseExpiredLeases(): Promise<Array<{ id: string; attempts: number }>> {
    const result: unknown = await this.dataSource.query(
      `UPDATE inbound_events SET state = 'received', lease_until = NULL, updated_at = now()
        WHERE state = 'processing' AND lease_until < now()
        RETURNING id, attempts`,
    );
    const rows = rowsOf<{ id: string; attempts: number }>(result);
    if (rows.length > 0) {
      reconcilerActions.inc({ kind: 'inbound', action: 'lease_released' }, rows.length);
      this.logger.warn(`released ${rows.length} inbound event(s) whose worker lease expired`);
    }
    return rows;
  }
}
