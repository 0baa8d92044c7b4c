import {
  DELIVERY_GROUP_MAX,
  EVENT_GROUP_MAX,
  groupItems,
  groupJobId,
  InboundEventsJob,
  itemJobId,
  jobTraces,
  OutboundDeliveriesJob,
  QueueName,
  rerunJobId,
} from '../queues';

/**
 * Leased work: rows in Postgres (inbound events, deliveries) that a worker claims under a
 * lease, with BullMQ only as transport. Both directions run the same machinery — the
 * grouping enqueuers, the item processor with its semaphore and group jobs, the lease
 * reconciler — and differ only in what this description names: the queue, its two job
 * names and payload shapes, and the words the logs and metrics use.
 */
export interface LeasedWork {
  queue: QueueName.InboundEvents | QueueName.OutboundDeliveries;
  /** The job carrying one item, and its payload. */
  itemJob: string;
  itemData(id: string): object;
  /** The job carrying the first attempts of items enqueued together, and its payload. */
  groupJob: string;
  groupData(ids: string[]): object;
  /** Most items in one group job. */
  groupMax: number;
  /** The ids a job of this queue carries (either job name). */
  idsOf(job: { name: string; data: unknown }): string[];
  /** Metrics label (`hookgate_reconciler_actions_total{kind}`). */
  kind: 'inbound' | 'outbound';
  /** For logs: "released 3 <items> whose <holder> lease expired". */
  items: string;
  holder: string;
  /** The tracing span of one item's run, and the attribute naming its id. */
  span: string;
  spanIdAttribute: string;
}

export const INBOUND_EVENT_WORK: LeasedWork = {
  queue: QueueName.InboundEvents,
  itemJob: InboundEventsJob.Process,
  itemData: (eventId) => ({ eventId }),
  groupJob: InboundEventsJob.ProcessGroup,
  groupData: (eventIds) => ({ eventIds }),
  groupMax: EVENT_GROUP_MAX,
  idsOf: (job) => idsOf(job, InboundEventsJob.ProcessGroup, 'eventIds', 'eventId'),
  kind: 'inbound',
  items: 'inbound event(s)',
  holder: 'worker',
  span: 'process inbound-event',
  spanIdAttribute: 'hookgate.event.id',
};

export const OUTBOUND_DELIVERY_WORK: LeasedWork = {
  queue: QueueName.OutboundDeliveries,
  itemJob: OutboundDeliveriesJob.Send,
  itemData: (deliveryId) => ({ deliveryId }),
  groupJob: OutboundDeliveriesJob.SendGroup,
  groupData: (deliveryIds) => ({ deliveryIds }),
  groupMax: DELIVERY_GROUP_MAX,
  idsOf: (job) => idsOf(job, OutboundDeliveriesJob.SendGroup, 'deliveryIds', 'deliveryId'),
  kind: 'outbound',
  items: 'delivery(ies)',
  holder: 'dispatcher',
  span: 'send delivery',
  spanIdAttribute: 'hookgate.delivery.id',
};

function idsOf(
  job: { name: string; data: unknown },
  groupJob: string,
  groupField: string,
  itemField: string,
): string[] {
  const data = job.data as Record<string, unknown>;
  return job.name === groupJob ? (data[groupField] as string[]) : [data[itemField] as string];
}

/**
 * An item to enqueue. `attempts` is its attempt count when enqueued (0 for a new item).
 * `rerun` marks an item put back without using an attempt (rate limit, hold) or rescued
 * from a dead worker: its job id must differ from the still-active job that held it, or
 * BullMQ would drop the new job as a duplicate of that one.
 */
export interface LeasedItem {
  id: string;
  attempts?: number;
  delayMs?: number;
  rerun?: boolean;
  /** The trace the item's processing continues (tracing on; carried in the job's `traces`). */
  traceparent?: string;
}

/**
 * The jobs that carry `items`: first attempts due now travel in group jobs of up to
 * `groupMax` (one BullMQ fetch and completion for many items); a lone item, a retry, a
 * delayed or a rerun item keeps its own job, whose id the reconciler can look up.
 */
export function leasedJobs(
  work: LeasedWork,
  items: readonly LeasedItem[],
  groupMax = work.groupMax,
): Array<{ name: string; data: object; opts: { jobId: string; delay?: number } }> {
  const fresh = items.filter((item) => !item.rerun && !item.delayMs && !item.attempts);
  const { groups } = groupItems(fresh, groupMax);
  const grouped = new Set(groups.flat());
  const single = items.filter((item) => !grouped.has(item));
  return [
    ...groups.map((group) => {
      const ids = group.map((item) => item.id);
      return {
        name: work.groupJob,
        data: withTraces(work.groupData(ids), group),
        opts: { jobId: groupJobId(ids) },
      };
    }),
    ...single.map((item) => ({
      name: work.itemJob,
      data: withTraces(work.itemData(item.id), [item]),
      opts: {
        jobId: item.rerun
          ? rerunJobId(item.id, item.attempts ?? 0)
          : itemJobId(item.id, item.attempts ?? 0),
        delay: item.delayMs,
      },
    })),
  ];
}

/** The job's data, with `traces` only when some item has one (untraced jobs stay as they were). */
function withTraces(data: object, items: readonly LeasedItem[]): object {
  const traces = jobTraces(items);
  return traces ? { ...data, traces } : data;
}

/** The warning for a failed enqueue: the row is committed, so the reconciler has it. */
export function describeEnqueueFailure(work: LeasedWork, error: unknown): string {
  return `enqueue failed, the reconciler will pick the ${work.items} up: ${String(error)}`;
}
