import { Processor, WorkerHost } from '@nestjs/bullmq';
import { BeforeApplicationShutdown, Logger, OnApplicationBootstrap } from '@nestjs/common';
import type { Job } from 'bullmq';
import { runGroup, Semaphore, traceItem } from '@app/platform';
import { itemTraceparent, tracingEnabled } from '@app/platform/tracing';
import { assertHandlesAllJobs } from '../queues';
import type { LeasedWork } from './leased-work';

/** The use case that claims and runs one item (`ProcessInboundEvent`, `SendDelivery`). */
export interface LeasedItemHandler {
  /** Answers the item's outcome, or null when there was nothing to do (not claimable). */
  execute(id: string): Promise<string | null>;
}

/**
 * A group job held by a worker that died carries items with no job of their own, so only
 * BullMQ's stall detection hands them out again (the reconciler's rescue finds a stuck job
 * by an item's own job id). A short lock, renewed by a live worker every 5 s, frees such a
 * job within ~15 s instead of up to a minute; a job may stall several times before BullMQ
 * gives up on it. A stall of a live worker is harmless: the claims in Postgres decide who
 * runs an item.
 */
export const LEASED_WORKER_OPTIONS = {
  autorun: false,
  lockDuration: 10_000,
  stalledInterval: 5_000,
  maxStalledCount: 10,
};

/**
 * The worker of one kind of leased work: an item job carries one item, a group job the
 * first attempts of up to 16 enqueued together. Either way each item is handed to the use
 * case on its own, and at most `concurrency` are in flight in this process — the same
 * bound whatever the jobs carry. Built by {@link leasedItemProcessor}, which binds it to
 * its queue.
 */
export class LeasedItemProcessor
  extends WorkerHost
  implements OnApplicationBootstrap, BeforeApplicationShutdown
{
  private readonly inFlight: Semaphore;
  /** Items handed over by {@link handOff}, still running. */
  private readonly handedOff = new Set<Promise<unknown>>();
  private closing = false;
  private readonly logger = new Logger(LeasedItemProcessor.name);

  constructor(
    readonly work: LeasedWork,
    private readonly handler: LeasedItemHandler,
    private readonly concurrency: number,
  ) {
    super();
    assertHandlesAllJobs(work.queue, [work.itemJob, work.groupJob]);
    this.inFlight = new Semaphore(concurrency);
  }

  onApplicationBootstrap(): void {
    this.worker.concurrency = this.concurrency;
    logWorkerErrors(this.worker, this.logger, this.work.queue);
    void this.worker.run();
  }

  /**
   * Runs items this process has just committed (a dispatcher's intake, say) here and now,
   * without a round trip through the queue, while a slot is free at once; answers the ids
   * it did not take, which the caller enqueues as before. A taken item is claimed in
   * Postgres like any other, so a job that also carries it finds nothing to do. One lost
   * with this process (killed between the caller's commit and the claim) is a due row
   * without a job, which the lease reconciler enqueues on its next pass. An item whose run
   * throws (its claim failed: Postgres away) goes to `onFailed`, to be enqueued after all.
   */
  handOff(ids: string[], onFailed: (id: string) => void): string[] {
    if (this.closing) return ids;
    const taken = ids.slice(0, Math.max(0, this.inFlight.available));
    for (const id of taken) {
      // The trace is taken now, in the caller's context, as an enqueue would.
      const traceparent = tracingEnabled() ? itemTraceparent(id) : undefined;
      const running = this.run(id, traceparent ? { [id]: traceparent } : undefined).catch(() =>
        onFailed(id),
      );
      this.handedOff.add(running);
      void running.finally(() => this.handedOff.delete(running));
    }
    return ids.slice(taken.length);
  }

  /** Lets handed-over items finish (and refuses new ones) before the workers close. */
  async beforeApplicationShutdown(): Promise<void> {
    this.closing = true;
    await Promise.allSettled([...this.handedOff]);
  }

  async process(job: Job): Promise<string | null> {
    const ids = this.work.idsOf(job);
    const traces = (job.data as { traces?: Record<string, string> }).traces;
    if (job.name === this.work.itemJob) return this.run(ids[0], traces);
    // Each item runs to its end; if any threw, the job fails and is retried, and the items
    // already finished are skipped by their claims.
    if (job.name === this.work.groupJob) return runGroup(ids, (id) => this.run(id, traces));
    throw new Error(`unknown job "${job.name}" on ${this.work.queue}`);
  }

  /** One item, in a span continuing the trace that stored (or retried) it. */
  private run(id: string, traces?: Record<string, string>): Promise<string | null> {
    return this.inFlight.run(() =>
      traceItem(
        this.work.span,
        { id, traceparent: traces?.[id], attributes: { [this.work.spanIdAttribute]: id } },
        () => this.handler.execute(id),
      ),
    );
  }
}

/**
 * A LeasedItemProcessor bound to `work`'s queue: @nestjs/bullmq finds processors by the
 * `@Processor` metadata of an instance's class, so each queue gets a subclass of its own.
 */
export function leasedItemProcessor(
  work: LeasedWork,
  handler: LeasedItemHandler,
  concurrency: number,
): LeasedItemProcessor {
  class BoundProcessor extends LeasedItemProcessor {}
  Processor(work.queue, LEASED_WORKER_OPTIONS)(BoundProcessor);
  return new BoundProcessor(work, handler, concurrency);
}

/**
 * Routes a BullMQ worker's `error` events to the structured log. Without a listener BullMQ
 * prints them to the console as "Unhandled error" with a stack — after Redis lost its data,
 * once per job it can no longer finish ("Missing key for job …"): harmless, as the rows in
 * Postgres decide what runs and the reconciler enqueues what is still due.
 */
export function logWorkerErrors(
  worker: { on(event: 'error', listener: (error: Error) => void): unknown },
  logger: Pick<Logger, 'warn'>,
  queue: string,
): void {
  worker.on('error', (error) => logger.warn(`${queue} worker: ${error.message}`));
}
