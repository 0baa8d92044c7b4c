import type { Queue } from 'bullmq';
import {
  EVENT_GROUP_MAX,
  groupItems,
  groupJobId,
  InboundEventsJob,
  itemJobId,
  type ProcessInboundEventGroupJob,
  type ProcessInboundEventJob,
} from '@app/messaging';
import type { EventEnqueuer } from './receive.service';

/**
 * Enqueues newly stored events in batches: ids collected during one event-loop turn go
 * to Redis in one `addBulk`, as `process-group` jobs of up to 16 events (a lone event
 * keeps its own `process` job). Enqueueing is best effort by design — the row is already
 * committed, and the reconciler enqueues any `received` event whose job never arrived.
 */
export class BullEventEnqueuer implements EventEnqueuer {
  private pending: string[] = [];
  private scheduled = false;

  constructor(
    private readonly queue: Queue<ProcessInboundEventJob | ProcessInboundEventGroupJob>,
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
    const { groups, single } = groupItems(ids, EVENT_GROUP_MAX);
    this.queue
      .addBulk([
        ...groups.map((eventIds) => ({
          name: InboundEventsJob.ProcessGroup,
          data: { eventIds },
          opts: { jobId: groupJobId(eventIds) },
        })),
        ...single.map((eventId) => ({
          name: InboundEventsJob.Process,
          data: { eventId },
          opts: { jobId: itemJobId(eventId, 0) },
        })),
      ])
      .catch(this.onError);
  }
}
