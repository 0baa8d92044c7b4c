import { Processor, WorkerHost } from '@nestjs/bullmq';
import { Inject, OnApplicationBootstrap } from '@nestjs/common';
import type { Job } from 'bullmq';
import {
  assertHandlesAllJobs,
  InboundEventsJob,
  QueueName,
  type ProcessInboundEventJob,
} from '@app/messaging';
import { APP_CONFIG } from '@app/platform';
import type { InboundGatewayConfig } from '../config';
import { ProcessInboundEvent } from './process-inbound-event.use-case';

/** The inbound worker: one job per event, handed to the use case. */
const HANDLED_JOBS = [InboundEventsJob.Process];

@Processor(QueueName.InboundEvents, { autorun: false })
export class InboundEventsProcessor extends WorkerHost implements OnApplicationBootstrap {
  constructor(
    private readonly processEvent: ProcessInboundEvent,
    @Inject(APP_CONFIG) private readonly config: InboundGatewayConfig,
  ) {
    super();
    assertHandlesAllJobs(QueueName.InboundEvents, HANDLED_JOBS);
  }

  onApplicationBootstrap(): void {
    this.worker.concurrency = this.config.INBOUND_WORKER_CONCURRENCY;
    void this.worker.run();
  }

  async process(job: Job<ProcessInboundEventJob>): Promise<string | null> {
    switch (job.name as InboundEventsJob) {
      case InboundEventsJob.Process:
        return this.processEvent.execute(job.data.eventId);
    }
  }
}
