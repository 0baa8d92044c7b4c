import { Processor, WorkerHost } from '@nestjs/bullmq';
import { Inject, OnApplicationBootstrap } from '@nestjs/common';
import type { Job } from 'bullmq';
import {
  assertHandlesAllJobs,
  OutboundDeliveriesJob,
  QueueName,
  type SendDeliveryGroupJob,
  type SendDeliveryJob,
} from '@app/messaging';
import { APP_CONFIG, runGroup, Semaphore, traceItem } from '@app/platform';
import type { OutboundDispatcherConfig } from '../config';
import { SendDelivery } from './send-delivery.use-case';

/**
 * The dispatcher's delivery worker: a `send` job carries one delivery, a `send-group` job
 * the first attempts of up to 16 created together. Either way each delivery is handed to
 * the use case on its own, and at most `DISPATCHER_CONCURRENCY` are in flight in this
 * process — the same bound whatever the jobs carry.
 */
const HANDLED_JOBS = [OutboundDeliveriesJob.Send, OutboundDeliveriesJob.SendGroup];

/**
 * A `send-group` held by a dispatcher that died carries deliveries with no job of their
 * own, so only BullMQ's stall detection hands them out again (the reconciler's rescue
 * finds a stuck job by a delivery's own job id). A short lock, renewed by a live worker
 * every 5 s, frees such a job within ~15 s instead of up to a minute; a job may stall
 * several times before BullMQ gives up on it. A stall of a live worker is harmless: the
 * claims in Postgres decide who sends.
 */
export const DELIVERY_WORKER_OPTIONS = {
  autorun: false,
  lockDuration: 10_000,
  stalledInterval: 5_000,
  maxStalledCount: 10,
};

@Processor(QueueName.OutboundDeliveries, DELIVERY_WORKER_OPTIONS)
export class OutboundDeliveriesProcessor extends WorkerHost implements OnApplicationBootstrap {
  private readonly inFlight: Semaphore;

  constructor(
    private readonly sendDelivery: SendDelivery,
    @Inject(APP_CONFIG) private readonly config: OutboundDispatcherConfig,
  ) {
    super();
    assertHandlesAllJobs(QueueName.OutboundDeliveries, HANDLED_JOBS);
    this.inFlight = new Semaphore(config.DISPATCHER_CONCURRENCY);
  }

  onApplicationBootstrap(): void {
    this.worker.concurrency = this.config.DISPATCHER_CONCURRENCY;
    void this.worker.run();
  }

  async process(job: Job<SendDeliveryJob | SendDeliveryGroupJob>): Promise<string | null> {
    const traces = job.data.traces;
    switch (job.name as OutboundDeliveriesJob) {
      case OutboundDeliveriesJob.Send:
        return this.send((job.data as SendDeliveryJob).deliveryId, traces);
      case OutboundDeliveriesJob.SendGroup:
        // Each delivery runs to its end; if any threw, the job fails and is retried, and
        // the deliveries already finished are skipped by their claims.
        return runGroup((job.data as SendDeliveryGroupJob).deliveryIds, (id) =>
          this.send(id, traces),
        );
    }
    throw new Error(`unknown job "${job.name}" on ${QueueName.OutboundDeliveries}`);
  }

  /** One delivery, in a span continuing the trace that created (or retried) it. */
  private send(deliveryId: string, traces?: Record<string, string>): Promise<string | null> {
    return this.inFlight.run(() =>
      traceItem(
        'send delivery',
        {
          id: deliveryId,
          traceparent: traces?.[deliveryId],
          attributes: { 'hookgate.delivery.id': deliveryId },
        },
        () => this.sendDelivery.execute(deliveryId),
      ),
    );
  }
}
