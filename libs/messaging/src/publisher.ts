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
/**
 * Options of the jobs this client adds. They are not what keeps a request: once `deliver` or
 * `publish` resolves, Redis holds the job and the dispatcher's intake takes it whatever its
 * options, BullMQ's defaults included. The intake never fails a job: a request it can
 * never turn into a delivery is kept in `outbound_request_refusals` and counted
 * (`GET /api/v1/outbound-request-refusals`); one it cannot take yet (Postgres or Redis
 * away) goes back to wait without using an attempt; a job re-run after a crash is
 * absorbed by its idempotency key. These attempts and backoff only matter if a job throws
 * past the intake anyway (`hookgate_outbound_requests_failed_total`). What the enqueue
 * itself cannot promise — a job Redis acknowledged and then lost without persistence —
 * is in docs/reliability.md.
 */
const PUBLISH_JOB_OPTIONS = { attempts: 5, backoff: { type: 'exponential', delay: 500 } };

export interface PublisherOptions {
  redisUrl?: string;
  connection?: ConnectionOptions;
  /** Must match the apps' `QUEUE_PREFIX`. */
  prefix?: string;
  /** Tenant name sent with every request unless the call names one. */
  tenant?: string;
  /**
   * Called with each error of the queue's Redis connection (refused, reset, timed out).
   * The publisher reconnects by itself, and a `deliver` or `publish` made meanwhile
   * rejects or waits as BullMQ decides, so these are for logs and health checks. With or
   * without it, the last one is kept in {@link HookgatePublisher.lastError}; without a
   * listener BullMQ would print each one to the console as an unhandled error.
   */
  onError?: (error: Error) => void;
}

export class HookgatePublisher {
  private readonly queue: Queue;
  private last: { error: Error; at: Date } | null = null;

  constructor(private readonly options: PublisherOptions = {}) {
    const connection: ConnectionOptions = options.connection ?? {
      url: options.redisUrl ?? 'redis://127.0.0.1:6379',
    };
    this.queue = new Queue(QueueName.OutboundRequests, {
      connection,
      prefix: options.prefix ?? 'hookgate',
      defaultJobOptions: DEFAULT_JOB_OPTIONS,
    });
    this.queue.on('error', (error: Error) => {
      this.last = { error, at: new Date() };
      try {
        options.onError?.(error);
      } catch {
        // A failing listener must not turn a connection error into a crash.
      }
    });
  }

  /** The last error of the queue's Redis connection and when it came; null if none yet. */
  get lastError(): { error: Error; at: Date } | null {
    return this.last;
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
