import type { Queue } from 'bullmq';
import { InboundEventsJob, itemJobId, type ProcessInboundEventJob } from '@app/messaging';
import type { EventEnqueuer } from './receive.service';

/**
 * Enqueues newly stored events in batches: ids collected during one event-loop turn go
 * to Redis in one `addBulk`. Enqueueing is best effort by design — the row is already
 * committed, and the reconciler enqueues any `received` event whose job never arrived.
 */
export class BullEventEnqueuer implements EventEnqueuer {
  private pending: string[] = [];
  private scheduled = false;

  constructor(
    private readonly queue: Queue<ProcessInboundEventJob>,
    private readonly onError: (error: unknown) => void,
  ) {}

  enqueue(eventId: string): void {
    this.pending.push(eventId);
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => this.flush());
  }

  private flush(): void {
    this.scheduled = false;
    const ids = this.pending;
    this.pending = [];
    if (ids.length === 0) return;
    this.queue
      .addBulk(
        ids.map((eventId) => ({
          name: InboundEventsJob.Process,
          data: { eventId },
          opts: { jobId: itemJobId(eventId, 0) },
        })),
      )
      .catch(this.onError);
  }
}
