import type { Queue } from 'bullmq';
import type { DeliverJob, PublishJob } from '@app/client/job-contract';

/**
 * Every queue, job name and job payload of Hookgate, in one place. Producers and consumers
 * import from here; a consumer that does not handle a job name of its queue fails at boot.
 */

export enum QueueName {
  /** Inbound events persisted by the gateway, waiting for the inbound worker. */
  InboundEvents = 'inbound-events',
  /** Publish requests from backend services (contract: SPEC §5). */
  OutboundRequests = 'outbound-requests',
  /** Delivery rows ready to be sent by the dispatcher. */
  OutboundDeliveries = 'outbound-deliveries',
}

export enum InboundEventsJob {
  Process = 'process',
  /** First attempts of events stored together, processed by one job (see below). */
  ProcessGroup = 'process-group',
}

export enum OutboundRequestsJob {
  Deliver = 'deliver',
  Publish = 'publish',
}

export enum OutboundDeliveriesJob {
  Send = 'send',
  /** First attempts of deliveries created together, sent by one job (see below). */
  SendGroup = 'send-group',
}

/**
 * With tracing on, a job carries the W3C `traceparent` of each of its items' traces, by
 * item id, so the worker's span for an item continues the trace that produced it (a group
 * job's items come from as many traces). Absent when tracing is off, and on jobs added by
 * the reconcilers: those items start a trace of their own.
 */
export interface TracedJob {
  traces?: Record<string, string>;
}

/** `traces` for a job of these items, or undefined when none of them is traced. */
export function jobTraces(
  items: Iterable<{ id: string; traceparent?: string }>,
): Record<string, string> | undefined {
  let traces: Record<string, string> | undefined;
  for (const { id, traceparent } of items) {
    if (traceparent === undefined) continue;
    traces ??= {};
    traces[id] = traceparent;
  }
  return traces;
}

/** `inbound-events` / `process`: the job id is the event id, so a re-enqueue never runs twice. */
export interface ProcessInboundEventJob extends TracedJob {
  eventId: string;
}

/**
 * Job ids carry the item's attempt count, so a re-enqueue of the same attempt (reconciler,
 * duplicate publish) is absorbed by BullMQ while a retry or an operator reset, which
 * advanced the count, gets a fresh job. BullMQ forbids `:` in custom ids.
 */
export function itemJobId(itemId: string, attempts: number): string {
  return `${itemId}-${attempts}`;
}

/**
 * `outbound-requests` / `deliver` and `publish`: the public job contract, defined by the
 * package producers install (`@hookgate/client`, libs/client/src/job-contract.ts).
 */
export type {
  DeliverJob,
  DeliverToConnectorJob,
  DeliverToEndpointJob,
  PublishJob,
} from '@app/client/job-contract';
/**
 * `inbound-events` / `process-group`: events the gateway stored together (one group
 * commit), carried by one job for the same reason as {@link SendDeliveryGroupJob}. Each
 * event is still claimed and processed on its own row.
 */
export interface ProcessInboundEventGroupJob extends TracedJob {
  eventIds: string[];
}

/** Most events in one `process-group` job. */
export const EVENT_GROUP_MAX = 16;

/** `outbound-deliveries` / `send`: the job id is the delivery id (plus attempt number). */
export interface SendDeliveryJob extends TracedJob {
  deliveryId: string;
}

/**
 * `outbound-deliveries` / `send-group`: the first attempts of deliveries enqueued together
 * (a fan-out, an intake batch, a reconciler pass). One job instead of one per delivery
 * saves a BullMQ fetch and completion (two Lua scripts in Redis) per delivery; the
 * dispatcher still claims and records each delivery on its own row, so a group changes
 * who carries the ids, not how each is sent. The job id names the group's first delivery
 * and its size, so re-adding the same group is absorbed like a single job's.
 */
export interface SendDeliveryGroupJob extends TracedJob {
  deliveryIds: string[];
}

/** Most deliveries in one `send-group` job. */
export const DELIVERY_GROUP_MAX = 16;

/** A group job's id: its first item and its size (`send-group`, `process-group`). */
export function groupJobId(itemIds: readonly string[]): string {
  return `group-${itemIds[0]}-${itemIds.length}`;
}

/**
 * Splits items into groups of at most `max`. Fewer than two items make no group: a lone
 * item keeps its own job, whose id the reconcilers can look up.
 */
export function groupItems<T>(items: readonly T[], max: number): { groups: T[][]; single: T[] } {
  if (items.length < 2) return { groups: [], single: [...items] };
  const groups: T[][] = [];
  const single: T[] = [];
  for (let i = 0; i < items.length; i += max) {
    const chunk = items.slice(i, i + max);
    if (chunk.length === 1) single.push(chunk[0]!);
    else groups.push(chunk);
  }
  return { groups, single };
}

export interface JobPayloads {
  [QueueName.InboundEvents]: {
    [InboundEventsJob.Process]: ProcessInboundEventJob;
    [InboundEventsJob.ProcessGroup]: ProcessInboundEventGroupJob;
  };
  [QueueName.OutboundRequests]: {
    [OutboundRequestsJob.Deliver]: DeliverJob;
    [OutboundRequestsJob.Publish]: PublishJob;
  };
  [QueueName.OutboundDeliveries]: {
    [OutboundDeliveriesJob.Send]: SendDeliveryJob;
    [OutboundDeliveriesJob.SendGroup]: SendDeliveryGroupJob;
  };
}

/** The job names each queue's consumer must handle. */
export const QUEUE_JOB_NAMES: { [Q in QueueName]: readonly string[] } = {
  [QueueName.InboundEvents]: Object.values(InboundEventsJob),
  [QueueName.OutboundRequests]: Object.values(OutboundRequestsJob),
  [QueueName.OutboundDeliveries]: Object.values(OutboundDeliveriesJob),
};

/**
 * Fails fast when a consumer's handler table misses a job name of its queue, so a new job
 * type can never be silently dropped by an old worker build.
 */
export function assertHandlesAllJobs(queue: QueueName, handled: readonly string[]): void {
  const missing = QUEUE_JOB_NAMES[queue].filter((name) => !handled.includes(name));
  if (missing.length > 0) {
    throw new Error(
      `Consumer of queue "${queue}" has no handler for job(s): ${missing.join(', ')}`,
    );
  }
}

/**
 * Postgres is the record, so jobs are not kept: a finished or failed job is removed at once
 * and a re-enqueue by a reconciler is never absorbed by a leftover job with the same id. A
 * job that throws (Postgres unreachable, say) is retried a few times with backoff first.
 */
export const DEFAULT_JOB_OPTIONS = {
  removeOnComplete: true,
  removeOnFail: true,
  attempts: 3,
  backoff: { type: 'exponential', delay: 1000 },
} as const;

/**
 * Whether a queue already holds at least `due` runnable jobs — the reconcilers' cheap test
 * before re-adding every due row. While a healthy backlog drains, its jobs are all there
 * and re-adding them (absorbed by job id) would only burn Redis time on every pass; after
 * a flush or restart the queue holds fewer jobs than rows and the pass re-adds them all.
 * Delayed jobs are not counted: they belong to rows that are not due yet. `itemsPerJob`:
 * the most items one job can carry (a `send-group`); the test is then an upper bound, so
 * a queue that lost some of its jobs but not all may pass it, and those rows are re-added
 * once the rest has drained (the queue then holds fewer jobs than rows again).
 */
export async function queueCoversBacklog(
  queue: Pick<Queue, 'getJobCounts'>,
  due: number,
  itemsPerJob = 1,
): Promise<boolean> {
  if (due === 0) return true;
  const counts = await queue.getJobCounts('waiting', 'active', 'prioritized');
  const runnable = Object.values(counts).reduce((sum, n) => sum + n, 0);
  return runnable * itemsPerJob >= due;
}

/**
 * A job id for an item put back without using an attempt, or rescued from a dead worker:
 * unlike {@link itemJobId} it never collides with the job that is (or was) running.
 */
export function rerunJobId(itemId: string, attempts: number): string {
  return `${itemJobId(itemId, attempts)}-r${Date.now().toString(36)}`;
}

/**
 * When the reconcilers look at a due row's job, given their pass interval: a row due for
 * `overdueSeconds` should have been taken by a worker long ago; one due for `lostSeconds`
 * cannot still be waiting in a group job either (a group carrying it would have run by
 * then, unless a long backlog is ahead of it).
 */
export function rescueThresholds(reconcileIntervalSeconds: number): {
  overdueSeconds: number;
  lostSeconds: number;
} {
  return {
    overdueSeconds: reconcileIntervalSeconds * 2 + 5,
    lostSeconds: reconcileIntervalSeconds * 10 + 5,
  };
}

/**
 * Of overdue rows, the ones the reconcilers' rescue must give a runnable job. States are
 * asked concurrently: one round trip's latency per pass.
 * - own job `active`: a worker fetched it and died before its claim committed. `rerun`:
 *   re-adding under the same id would be absorbed by that stalled job until BullMQ's stall
 *   check, so the new job needs a fresh id.
 * - no job of its own, and `lost` (see {@link rescueThresholds}): re-added under its own
 *   id. A row that is not yet lost may be waiting in a group job (whose id names only its
 *   first item), so it is left to the backlog pass; a copy that does slip through costs a
 *   claim that finds nothing.
 */
export async function rowsToRescue<R extends { id: string; attempts: number; lost: boolean }>(
  queue: Pick<Queue, 'getJobState'>,
  rows: R[],
): Promise<Array<R & { rerun: boolean }>> {
  const states = await Promise.all(
    rows.map((row) => queue.getJobState(itemJobId(row.id, row.attempts))),
  );
  return rows.flatMap((row, i): Array<R & { rerun: boolean }> => {
    if (states[i] === 'active') return [{ ...row, rerun: true }];
    if (states[i] === 'unknown' && row.lost) return [{ ...row, rerun: false }];
    return [];
  });
}
