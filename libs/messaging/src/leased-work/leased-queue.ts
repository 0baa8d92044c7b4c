import type { Queue } from 'bullmq';
import { MicroBatcher } from '@app/platform/micro-batcher';
import { itemTraceparent, tracingEnabled } from '@app/platform/tracing';
import { queueCoversBacklog, rowsToRescue } from '../queues';
import {
  INBOUND_EVENT_WORK,
  leasedJobs,
  OUTBOUND_DELIVERY_WORK,
  type LeasedItem,
  type LeasedWork,
} from './leased-work';

/** What a LeasedQueue uses of a BullMQ queue. */
export type JobQueue = Pick<Queue, 'addBulk' | 'getJobState' | 'getJobCounts'> &
  Partial<Pick<Queue, 'isPaused'>>;

/**
 * Enqueues committed items of one kind of leased work (due events, queued deliveries).
 * Best effort by design: the rows are the record, and the reconciler enqueues any due item
 * whose job never arrived (Redis down, process killed between commit and enqueue).
 */
export class LeasedQueue {
  constructor(
    readonly work: LeasedWork,
    private readonly queue: JobQueue,
    private readonly onError: (error: unknown) => void = () => undefined,
    private readonly groupMax = work.groupMax,
  ) {}

  /**
   * Enqueues made at the same moment (concurrent intake jobs, say) travel in one `addBulk`,
   * so their first attempts can share groups.
   */
  private readonly gathered = new MicroBatcher<LeasedItem, void>(
    async (items) => {
      await this.add(items);
      return items.map(() => undefined);
    },
    { maxBatch: 1000, maxInFlight: 4 },
  );

  /** Grouped as {@link leasedJobs} says; see {@link LeasedItem} for `attempts` and `rerun`. */
  async enqueue(items: LeasedItem[]): Promise<void> {
    // The trace is taken now, in the caller's context: the batch runs in another.
    const traced = tracingEnabled()
      ? items.map((item) => ({
          ...item,
          traceparent: item.traceparent ?? itemTraceparent(item.id),
        }))
      : items;
    await Promise.all(traced.map((item) => this.gathered.submit(item)));
  }

  /** Whether an operator paused the queue (BullMQ's global pause); false when unknown. */
  async isPaused(): Promise<boolean> {
    return (await this.queue.isPaused?.()) ?? false;
  }

  /** Fire-and-forget variant for callers that must not wait on Redis. */
  enqueueIds(ids: string[]): void {
    void this.enqueue(ids.map((id) => ({ id })));
  }

  /**
   * Gives the overdue items that need one a runnable job (see messaging's rowsToRescue:
   * own job stuck `active`, or no job and `lost`). Returns how many.
   */
  async rescueStalled(
    rows: Array<{ id: string; attempts: number; lost: boolean }>,
  ): Promise<number> {
    let stuck: Array<{ id: string; attempts: number; rerun: boolean }>;
    try {
      stuck = await rowsToRescue(this.queue, rows);
    } catch (error) {
      this.onError(error);
      return 0;
    }
    await this.enqueue(stuck.map(({ id, attempts, rerun }) => ({ id, attempts, rerun })));
    return stuck.length;
  }

  /**
   * Whether the queue's runnable jobs can carry `due` rows, counting each job as a full
   * group (see messaging's queueCoversBacklog).
   */
  async coversBacklog(due: number): Promise<boolean> {
    try {
      return await queueCoversBacklog(this.queue, due, this.groupMax);
    } catch (error) {
      this.onError(error);
      return false;
    }
  }

  private async add(items: LeasedItem[]): Promise<void> {
    try {
      await this.queue.addBulk(leasedJobs(this.work, items, this.groupMax));
    } catch (error) {
      this.onError(error);
    }
  }
}

/** The `inbound-events` queue: received events for the inbound worker. */
export class InboundEventQueue extends LeasedQueue {
  constructor(queue: JobQueue, onError?: (error: unknown) => void, groupMax?: number) {
    super(INBOUND_EVENT_WORK, queue, onError, groupMax);
  }
}

/** The `outbound-deliveries` queue: queued deliveries for the dispatcher. */
export class DeliveryQueue extends LeasedQueue {
  constructor(queue: JobQueue, onError?: (error: unknown) => void, groupMax?: number) {
    super(OUTBOUND_DELIVERY_WORK, queue, onError, groupMax);
  }
}
