import type { Queue } from 'bullmq';
import { itemTraceparent, MicroBatcher, tracingEnabled } from '@app/platform';
import {
  DELIVERY_GROUP_MAX,
  groupItems,
  groupJobId,
  itemJobId,
  jobTraces,
  OutboundDeliveriesJob,
  queueCoversBacklog,
  rerunJobId,
  rowsToRescue,
  type SendDeliveryGroupJob,
  type SendDeliveryJob,
} from '@app/messaging';

interface Enqueued {
  id: string;
  attempts?: number;
  delayMs?: number;
  rerun?: boolean;
  /** The trace the delivery's send continues (tracing on; see itemTraceparent). */
  traceparent?: string;
}

/**
 * Enqueues committed `queued` deliveries for the dispatcher. Best effort by design: the
 * rows are the record, and the dispatcher's reconciler enqueues any queued delivery whose
 * job never arrived (Redis down, process killed between commit and enqueue).
 */
export class DeliveryQueue {
  constructor(
    private readonly queue: Queue<SendDeliveryJob | SendDeliveryGroupJob>,
    private readonly onError: (error: unknown) => void = () => undefined,
    private readonly groupMax = DELIVERY_GROUP_MAX,
  ) {}

  /**
   * Enqueues made at the same moment (concurrent intake jobs, say) travel in one `addBulk`,
   * so their first attempts can share groups.
   */
  private readonly gathered = new MicroBatcher<Enqueued, void>(
    async (items) => {
      await this.add(items);
      return items.map(() => undefined);
    },
    { maxBatch: 1000, maxInFlight: 4 },
  );

  /**
   * `attempts` is the delivery's attempt count when enqueued (0 for a new delivery).
   * `rerun` marks a delivery put back without using an attempt (rate limit, hold): its
   * job id must differ from the still-active job that put it back, or BullMQ would drop
   * the new job as a duplicate of that one.
   */
  async enqueue(deliveries: Enqueued[]): Promise<void> {
    // The trace is taken now, in the caller's context: the batch runs in another.
    const traced = tracingEnabled()
      ? deliveries.map((d) => ({ ...d, traceparent: d.traceparent ?? itemTraceparent(d.id) }))
      : deliveries;
    await Promise.all(traced.map((d) => this.gathered.submit(d)));
  }

  private async add(deliveries: Enqueued[]): Promise<void> {
    // First attempts due now travel in groups (see SendDeliveryGroupJob); a lone delivery,
    // a retry, a delayed or a rerun delivery keeps its own job, whose id the reconciler
    // can look up.
    const fresh = deliveries.filter((d) => !d.rerun && !d.delayMs && !d.attempts);
    const { groups: freshGroups } = groupItems(fresh, this.groupMax);
    const grouped = new Set(freshGroups.flat());
    const single = deliveries.filter((d) => !grouped.has(d));
    try {
      await this.queue.addBulk([
        ...freshGroups.map((group) => {
          const ids = group.map((d) => d.id);
          const traces = jobTraces(group);
          return {
            name: OutboundDeliveriesJob.SendGroup,
            data: traces ? { deliveryIds: ids, traces } : { deliveryIds: ids },
            opts: { jobId: groupJobId(ids) },
          };
        }),
        ...single.map(sendJob),
      ]);
    } catch (error) {
      this.onError(error);
    }
  }

  /**
   * Gives the overdue deliveries that need one a runnable job (see messaging's
   * rowsToRescue: own job stuck `active`, or no job and `lost`). Returns how many.
   */
  async rescueStalled(
    deliveries: Array<{ id: string; attempts: number; lost: boolean }>,
  ): Promise<number> {
    let stuck: Array<{ id: string; attempts: number; rerun: boolean }>;
    try {
      stuck = await rowsToRescue(this.queue, deliveries);
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

  /** Fire-and-forget variant for callers that must not wait on Redis. */
  enqueueIds(ids: string[]): void {
    void this.enqueue(ids.map((id) => ({ id })));
  }
}

function sendJob(d: Enqueued) {
  const traces = jobTraces([d]);
  return {
    name: OutboundDeliveriesJob.Send,
    data: traces ? { deliveryId: d.id, traces } : { deliveryId: d.id },
    opts: {
      jobId: d.rerun ? rerunJobId(d.id, d.attempts ?? 0) : itemJobId(d.id, d.attempts ?? 0),
      delay: d.delayMs,
    },
  };
}
