import type { Queue } from 'bullmq';
import {
  itemJobId,
  OutboundDeliveriesJob,
  queueCoversBacklog,
  rerunJobId,
  rowsWithoutRunnableJob,
  type SendDeliveryJob,
} from '@app/messaging';

/**
 * Enqueues committed `queued` deliveries for the dispatcher. Best effort by design: the
 * rows are the record, and the dispatcher's reconciler enqueues any queued delivery whose
 * job never arrived (Redis down, process killed between commit and enqueue).
 */
export class DeliveryQueue {
  constructor(
    private readonly queue: Queue<SendDeliveryJob>,
    private readonly onError: (error: unknown) => void = () => undefined,
  ) {}

  /**
   * `attempts` is the delivery's attempt count when enqueued (0 for a new delivery).
   * `rerun` marks a delivery put back without using an attempt (rate limit, hold): its
   * job id must differ from the still-active job that put it back, or BullMQ would drop
   * the new job as a duplicate of that one.
   */
  async enqueue(
    deliveries: Array<{ id: string; attempts?: number; delayMs?: number; rerun?: boolean }>,
  ): Promise<void> {
    if (deliveries.length === 0) return;
    try {
      await this.queue.addBulk(
        deliveries.map((d) => ({
          name: OutboundDeliveriesJob.Send,
          data: { deliveryId: d.id },
          opts: {
            jobId: d.rerun ? rerunJobId(d.id, d.attempts ?? 0) : itemJobId(d.id, d.attempts ?? 0),
            delay: d.delayMs,
          },
        })),
      );
    } catch (error) {
      this.onError(error);
    }
  }

  /**
   * For overdue queued deliveries, makes sure a runnable job exists:
   * - job `active` although the row was never claimed: the worker fetched it and died
   *   before its claim committed. Re-adding under the same id would be absorbed by that
   *   stalled job until BullMQ's stall detection (up to a minute) frees it, so it gets a
   *   fresh id. The claim in Postgres is atomic: the stalled job, if it ever runs, finds
   *   nothing to do.
   * - no job at all (a process died between commit and enqueue): added under its own id.
   * Returns how many jobs were added.
   */
  async rescueStalled(deliveries: Array<{ id: string; attempts: number }>): Promise<number> {
    let stuck: Array<{ id: string; attempts: number; rerun: boolean }>;
    try {
      stuck = await rowsWithoutRunnableJob(this.queue, deliveries);
    } catch (error) {
      this.onError(error);
      return 0;
    }
    await this.enqueue(stuck);
    return stuck.length;
  }

  /** Whether the queue already holds a runnable job for each of `due` rows (see messaging). */
  async coversBacklog(due: number): Promise<boolean> {
    try {
      return await queueCoversBacklog(this.queue, due);
    } catch (error) {
      this.onError(error);
      return false;
    }
  }

  /** Fire-and-forget variant for callers that must not wait on Redis. */
  enqueueIds(ids: string[]): void {
    void this.enqueue(ids.map((id) => ({ id })));
  }
}
