import { getQueueToken } from '@nestjs/bullmq';
import type { OnApplicationShutdown, Provider } from '@nestjs/common';
import type { Queue } from 'bullmq';
import { watchQueues } from './queue-metrics';

/** Registers an app's consumed queues for the scrape-time depth and lag readings. */
export class QueueMetricsRegistration implements OnApplicationShutdown {
  private readonly unwatch: () => void;

  constructor(queues: Queue[]) {
    this.unwatch = watchQueues(queues);
  }

  onApplicationShutdown(): void {
    this.unwatch();
  }
}

export function queueMetricsProvider(...queueNames: string[]): Provider {
  return {
    provide: QueueMetricsRegistration,
    inject: queueNames.map((name) => getQueueToken(name)),
    useFactory: (...queues: Queue[]) => new QueueMetricsRegistration(queues),
  };
}
