import { Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { PeriodicTask, reconcilerActions } from '@app/platform';
import { rescueThresholds } from '../queues';
import type { LeasedQueue } from './leased-queue';

/** A row of leased work as the reconciler sees it: its id and attempt count. */
export interface LeasedRow {
  id: string;
  attempts: number;
}

/**
 * The reconciler's SQL for one kind of leased work, supplied by the direction that owns
 * the table (the statements differ: an expired delivery lease also records an
 * `interrupted` attempt).
 */
export interface LeaseStore {
  /** Returns every leased row whose lease expired to its due state; answers those rows. */
  releaseExpiredLeases(): Promise<LeasedRow[]>;
  /** How many rows are due now. */
  countDue(): Promise<number>;
  /** Due rows with an id above `after`, in id order, at most `limit`. */
  dueAfter(after: string, limit: number): Promise<LeasedRow[]>;
  /**
   * Due rows overdue by `overdueSeconds`, oldest first, at most `limit`; `lost` when overdue
   * by `lostSeconds` (see messaging's rescueThresholds).
   */
  overdue(
    overdueSeconds: number,
    lostSeconds: number,
    limit: number,
  ): Promise<Array<LeasedRow & { lost: boolean }>>;
}

const BATCH = 1000;

/**
 * Postgres is the record; Redis is transport. Every interval, for one kind of leased work:
 * - a row whose lease expired (its worker died mid-item) returns to its due state and is
 *   enqueued at once — for a delivery the receiver may have seen that request, which is
 *   why deliveries carry a stable `webhook-id` for deduplication;
 * - every due row is enqueued again when the queue's runnable jobs cannot carry them all.
 *   Job ids carry the attempt count, so a job that still exists absorbs the re-add; a copy
 *   that slips past a group job costs a claim that finds nothing, and nothing runs twice;
 * - rows overdue for several passes whose job is stuck or lost get a runnable one.
 */
export class LeaseReconciler implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger: Logger;
  private readonly periodic: PeriodicTask;

  constructor(
    private readonly queue: LeasedQueue,
    private readonly store: LeaseStore,
    private readonly intervalSeconds: number,
  ) {
    this.logger = new Logger(`LeaseReconciler(${queue.work.queue})`);
    this.periodic = new PeriodicTask(
      intervalSeconds * 1000,
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
    // Released rows are enqueued at once: their old jobs died with their worker and still
    // count as active in BullMQ, so the backlog test below would miss them.
    const releasedRows = await this.releaseExpiredLeases();
    await this.queue.enqueue(releasedRows);
    const released = releasedRows.length;
    let enqueued = released;
    let after = '00000000-0000-0000-0000-000000000000';
    // A runnable job may be a group: each counts as a full one.
    const covered = await this.queue.coversBacklog(await this.store.countDue());
    while (!covered) {
      const rows = await this.store.dueAfter(after, BATCH);
      if (rows.length === 0) break;
      await this.queue.enqueue(rows);
      enqueued += rows.length;
      after = rows[rows.length - 1].id;
      if (rows.length < BATCH) break;
    }
    if (enqueued > 0) this.count('enqueued', enqueued);
    const rescued = await this.rescueStalled();
    return { released, enqueued, rescued };
  }

  /**
   * Rows due for more than two passes yet still unclaimed: those whose own job is stuck
   * `active` with a dead worker, or that have no job and are `lost`, get a runnable one
   * (see messaging's rowsToRescue). The claim is atomic in Postgres, so a stalled job that
   * does run later finds nothing to do.
   */
  private async rescueStalled(): Promise<number> {
    const { overdueSeconds, lostSeconds } = rescueThresholds(this.intervalSeconds);
    const rows = await this.store.overdue(overdueSeconds, lostSeconds, BATCH);
    const rescued = await this.queue.rescueStalled(rows);
    if (rescued > 0) {
      this.count('rescued', rescued);
      this.logger.warn(
        `re-enqueued ${rescued} ${this.queue.work.items} whose job was stuck with a dead worker`,
      );
    }
    return rescued;
  }

  /** Returns the released rows; their next job id is new (attempt count moved on). */
  private async releaseExpiredLeases(): Promise<LeasedRow[]> {
    const rows = await this.store.releaseExpiredLeases();
    if (rows.length > 0) {
      this.count('lease_released', rows.length);
      const { items, holder } = this.queue.work;
      this.logger.warn(`released ${rows.length} ${items} whose ${holder} lease expired`);
    }
    return rows;
  }

  private count(action: 'enqueued' | 'rescued' | 'lease_released', n: number): void {
    reconcilerActions.inc({ kind: this.queue.work.kind, action }, n);
  }
}
