import type { Queue } from 'bullmq';
import { itemJobId, OutboundDeliveriesJob, type SendDeliveryJob } from '@app/messaging';

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

  /** `attempts` is the delivery's attempt count when enqueued (0 for a new delivery). */
  async enqueue(
    deliveries: Array<{ id: string; attempts?: number; delayMs?: number }>,
  ): Promise<void> {
    if (deliveries.length === 0) return;
    try {
      await this.queue.addBulk(
        deliveries.map((d) => ({
          name: OutboundDeliveriesJob.Send,
          data: { deliveryId: d.id },
          opts: { jobId: itemJobId(d.id, d.attempts ?? 0), delay: d.delayMs },
        })),
      );
    } catch (error) {
      this.onError(error);
    }
  }

  /** Fire-and-forget variant for callers that must not wait on Redis. */
  enqueueIds(ids: string[]): void {
    void this.enqueue(ids.map((id) => ({ id })));
  }
}
