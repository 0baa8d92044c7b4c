import { Processor, WorkerHost } from '@nestjs/bullmq';
import { Inject, OnApplicationBootstrap } from '@nestjs/common';
import type { Job } from 'bullmq';
import {
  assertHandlesAllJobs,
  OutboundDeliveriesJob,
  QueueName,
  type SendDeliveryJob,
} from '@app/messaging';
import { APP_CONFIG } from '@app/platform';
import type { OutboundDispatcherConfig } from '../config';
import { SendDelivery } from './send-delivery.use-case';

/** The dispatcher's delivery worker: one job per delivery attempt, handed to the use case. */
const HANDLED_JOBS = [OutboundDeliveriesJob.Send];

@Processor(QueueName.OutboundDeliveries, { autorun: false })
export class OutboundDeliveriesProcessor extends WorkerHost implements OnApplicationBootstrap {
  constructor(
    private readonly sendDelivery: SendDelivery,
    @Inject(APP_CONFIG) private readonly config: OutboundDispatcherConfig,
  ) {
    super();
    assertHandlesAllJobs(QueueName.OutboundDeliveries, HANDLED_JOBS);
  }

  onApplicationBootstrap(): void {
    this.worker.concurrency = this.config.DISPATCHER_CONCURRENCY;
    void this.worker.run();
  }

  async process(job: Job<SendDeliveryJob>): Promise<string | null> {
    switch (job.name as OutboundDeliveriesJob) {
      case OutboundDeliveriesJob.Send:
        return this.sendDelivery.execute(job.data.deliveryId);
    }
  }
}
