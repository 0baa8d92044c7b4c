import { Queue, type ConnectionOptions } from 'bullmq';
import {
  DEFAULT_JOB_OPTIONS,
  OutboundRequestsJob,
  QueueName,
  type DeliverJob,
  type PublishJob,
} from './queues';

/**
 * The typed client backend services use to send webhooks through Hookgate. It only
 * enqueues on `outbound-requests`; the dispatcher turns each request into delivery rows.
 *
 *   const publisher = new HookgatePublisher({ redisUrl: 'redis://127.0.0.1:6379' });
 *   await publisher.deliver({ endpoint: 'billing-sync', payload: { id: 1 }, idempotencyKey: 'inv-1' });
 *   await publisher.deliver({ connector: 'stripe-main', suffix: 'customers', payload: { email } });
 *   await publisher.publish({ eventType: 'order.paid', payload: order });
 *   await publisher.close();
 */
/** Retries of the enqueue itself; the dispatcher deduplicates by idempotency key in Postgres. */
const PUBLISH_JOB_OPTIONS = { attempts: 5, backoff: { type: 'exponential', delay: 500 } };

export interface PublisherOptions {
  redisUrl?: string;
  connection?: ConnectionOptions;
  /** Must match the apps' `QUEUE_PREFIX`. */
  prefix?: string;
  /** Tenant name sent with every request unless the call names one. */
  tenant?: string;
}

export class HookgatePublisher {
  private readonly queue: Queue;

  constructor(private readonly options: PublisherOptions = {}) {
    const connection: ConnectionOptions = options.connection ?? {
      url: options.redisUrl ?? 'redis://127.0.0.1:6379',
    };
    this.queue = new Queue(QueueName.OutboundRequests, {
      connection,
      prefix: options.prefix ?? 'hookgate',
      defaultJobOptions: DEFAULT_JOB_OPTIONS,
    });
  }

  /** Sends `payload` to one outbound endpoint: by code, or by connector (code or id) and suffix. */
  async deliver(request: DeliverJob): Promise<{ jobId: string }> {
    const data: DeliverJob = { ...request, tenant: request.tenant ?? this.options.tenant };
    const job = await this.queue.add(OutboundRequestsJob.Deliver, data, PUBLISH_JOB_OPTIONS);
    return { jobId: String(job.id) };
  }

  /** Fans `payload` out to every active endpoint subscribed to `eventType`. */
  async publish(request: PublishJob): Promise<{ jobId: string }> {
    const data: PublishJob = { ...request, tenant: request.tenant ?? this.options.tenant };
    const job = await this.queue.add(OutboundRequestsJob.Publish, data, PUBLISH_JOB_OPTIONS);
    return { jobId: String(job.id) };
  }

  async close(): Promise<void> {
    await this.queue.close();
  }
}
