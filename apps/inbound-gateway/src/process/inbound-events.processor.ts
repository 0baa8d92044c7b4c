import { Processor, WorkerHost } from '@nestjs/bullmq';
import { Inject, OnApplicationBootstrap } from '@nestjs/common';
import type { Job } from 'bullmq';
import {
  assertHandlesAllJobs,
  InboundEventsJob,
  QueueName,
  type ProcessInboundEventGroupJob,
  type ProcessInboundEventJob,
} from '@app/messaging';
import { APP_CONFIG, runGroup, Semaphore, traceItem } from '@app/platform';
import type { InboundGatewayConfig } from '../config';
import { ProcessInboundEvent } from './process-inbound-event.use-case';

/**
 * The inbound worker: a `process` job carries one event, a `process-group` job up to 16
 * stored together. Each event is handed to the use case on its own, and at most
 * `INBOUND_WORKER_CONCURRENCY` are in flight in this process whatever the jobs carry.
 */
const HANDLED_JOBS = [InboundEventsJob.Process, InboundEventsJob.ProcessGroup];

/**
 * A `process-group` held by a worker that died carries events with no job of their own,
 * so only BullMQ's stall detection hands them out again. A short lock, renewed by a live
 * worker every 5 s, frees such a job within ~15 s instead of up to a minute; a job may
 * stall several times before BullMQ gives up on it. A stall of a live worker is
 * harmless: the claims in Postgres decide who processes.
 */
export const EVENT_WORKER_OPTIONS = {
  autorun: false,
  lockDuration: 10_000,
  stalledInterval: 5_000,
  maxStalledCount: 10,
};

@Processor(QueueName.InboundEvents, EVENT_WORKER_OPTIONS)
export class InboundEventsProcessor extends WorkerHost implements OnApplicationBootstrap {
  private readonly inFlight: Semaphore;

  constructor(
    private readonly processEvent: ProcessInboundEvent,
    @Inject(APP_CONFIG) private readonly config: InboundGatewayConfig,
  ) {
    super();
    assertHandlesAllJobs(QueueName.InboundEvents, HANDLED_JOBS);
    this.inFlight = new Semaphore(config.INBOUND_WORKER_CONCURRENCY);
  }

  onApplicationBootstrap(): void {
    this.worker.concurrency = this.config.INBOUND_WORKER_CONCURRENCY;
    void this.worker.run();
  }

  async process(
    job: Job<ProcessInboundEventJob | ProcessInboundEventGroupJob>,
  ): Promise<string | null> {
    const traces = job.data.traces;
    switch (job.name as InboundEventsJob) {
      case InboundEventsJob.Process:
        return this.run((job.data as ProcessInboundEventJob).eventId, traces);
      case InboundEventsJob.ProcessGroup:
        // Each event runs to its end; if any threw, the job fails and is retried, and the
        // events already processed are skipped by their claims.
        return runGroup((job.data as ProcessInboundEventGroupJob).eventIds, (id) =>
          this.run(id, traces),
        );
    }
    throw new Error(`unknown job "${job.name}" on ${QueueName.InboundEvents}`);
  }

  /** One event, in a span continuing the trace of the request that stored it. */
  private run(eventId: string, traces?: Record<string, string>): Promise<string | null> {
    return this.inFlight.run(() =>
      traceItem(
        'process inbound-event',
        {
          id: eventId,
          traceparent: traces?.[eventId],
          attributes: { 'hookgate.event.id': eventId },
        },
        () => this.processEvent.execute(eventId),
      ),
    );
  }
}
