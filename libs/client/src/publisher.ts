import { Queue, type ConnectionOptions } from 'bullmq';
import { randomUUID } from 'node:crypto';
import { createHookgateClient, type HookgateClient, type HookgateClientOptions } from './http';
import {
  DEFAULT_QUEUE_PREFIX,
  DELIVER_JOB,
  OUTBOUND_REQUESTS_QUEUE,
  PUBLISH_JOB,
  PUBLISH_JOB_OPTIONS,
  type DeliverJob,
  type PublishJob,
} from './job-contract';
import type { components } from './schema';

/**
 * The client backend services send webhooks through Hookgate with. It only enqueues on
 * `outbound-requests`; the dispatcher turns each request into delivery rows.
 *
 *   const publisher = new HookgatePublisher({
 *     redisUrl: 'redis://127.0.0.1:6379',
 *     admin: { baseUrl: 'http://127.0.0.1:3001', apiKey: process.env.HOOKGATE_PUBLISHER_KEY },
 *   });
 *   const sent = await publisher.deliver({ endpoint: 'billing-sync', payload: { id: 1 } });
 *   const [delivery] = await sent.waitForDeliveries();   // GET /deliveries?idempotencyKey=
 *   await publisher.close();
 *
 * Once `deliver` or `publish` resolves, Redis holds the job and the dispatcher takes it
 * whatever happens next (docs/reliability.md says what Redis itself can lose).
 */
export type DeliverySummary = components['schemas']['DeliverySummaryResponse'];

export interface PublisherOptions {
  redisUrl?: string;
  connection?: ConnectionOptions;
  /** Must match the apps' `QUEUE_PREFIX` (default `hookgate`). */
  prefix?: string;
  /** Tenant name sent with every request unless the call names one. */
  tenant?: string;
  /**
   * The admin API, for {@link PublishHandle.find}: its origin and a key of the request's
   * tenant (a `publisher` key is enough), or a client made with `createHookgateClient`.
   */
  admin?: HookgateClientOptions | HookgateClient;
  /**
   * Called with each error of the queue's Redis connection (refused, reset, timed out).
   * The publisher reconnects by itself, and a `deliver` or `publish` made meanwhile
   * rejects or waits as BullMQ decides, so these are for logs and health checks. With or
   * without it, the last one is kept in {@link HookgatePublisher.lastError}; without a
   * listener BullMQ would print each one to the console as an unhandled error.
   */
  onError?: (error: Error) => void;
}

/**
 * What `deliver` and `publish` answer: the request's idempotency key (the caller's, or one
 * the publisher made) and a way to find the deliveries it became. The dispatcher takes
 * the job within milliseconds while it runs, so a `find` made at once may still be empty.
 */
export interface PublishHandle {
  /** The BullMQ job id (it names the queue job, never a delivery). */
  jobId: string;
  /** Finds the deliveries: `GET /api/v1/deliveries?idempotencyKey=`. */
  idempotencyKey: string;
  /** The deliveries this request made so far, newest first (all pages). */
  find(): Promise<DeliverySummary[]>;
  /**
   * Waits until `find` answers at least `count` (default 1) deliveries. A `publish` no
   * endpoint subscribes to makes none: it then rejects after `timeoutMs` (default 10 s),
   * as it does when the dispatcher is not running or refused the request
   * (`GET /api/v1/outbound-request-refusals`, an operator key).
   */
  waitForDeliveries(options?: {
    count?: number;
    timeoutMs?: number;
    intervalMs?: number;
  }): Promise<DeliverySummary[]>;
}

export class HookgatePublisher {
  private readonly queue: Queue;
  private readonly client: HookgateClient | null;
  private last: { error: Error; at: Date } | null = null;

  constructor(private readonly options: PublisherOptions = {}) {
    const connection: ConnectionOptions = options.connection ?? {
      url: options.redisUrl ?? 'redis://127.0.0.1:6379',
    };
    this.queue = new Queue(OUTBOUND_REQUESTS_QUEUE, {
      connection,
      prefix: options.prefix ?? DEFAULT_QUEUE_PREFIX,
    });
    this.client = !options.admin
      ? null
      : 'GET' in options.admin
        ? options.admin
        : createHookgateClient(options.admin);
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
  async deliver(request: DeliverJob): Promise<PublishHandle> {
    const data: DeliverJob = {
      ...request,
      idempotencyKey: request.idempotencyKey ?? randomUUID(),
      tenant: request.tenant ?? this.options.tenant,
    };
    const job = await this.queue.add(DELIVER_JOB, data, PUBLISH_JOB_OPTIONS);
    return this.handle(String(job.id), data.idempotencyKey!, {
      ...('endpoint' in data ? { endpoint: data.endpoint } : {}),
    });
  }

  /** Fans `payload` out to every active endpoint subscribed to `eventType`. */
  async publish(request: PublishJob): Promise<PublishHandle> {
    const data: PublishJob = {
      ...request,
      idempotencyKey: request.idempotencyKey ?? randomUUID(),
      tenant: request.tenant ?? this.options.tenant,
    };
    const job = await this.queue.add(PUBLISH_JOB, data, PUBLISH_JOB_OPTIONS);
    return this.handle(String(job.id), data.idempotencyKey!, { eventType: data.eventType });
  }

  async close(): Promise<void> {
    await this.queue.close();
  }

  private handle(
    jobId: string,
    idempotencyKey: string,
    filter: { endpoint?: string; eventType?: string },
  ): PublishHandle {
    const find = () => this.findDeliveries(idempotencyKey, filter);
    return {
      jobId,
      idempotencyKey,
      find,
      async waitForDeliveries({ count = 1, timeoutMs = 10_000, intervalMs = 100 } = {}) {
        const deadline = Date.now() + timeoutMs;
        for (;;) {
          const found = await find();
          if (found.length >= count) return found;
          if (Date.now() >= deadline) {
            throw new Error(
              `${found.length} of ${count} deliveries for idempotency key "${idempotencyKey}" after ${timeoutMs} ms`,
            );
          }
          await new Promise((resolve) => setTimeout(resolve, intervalMs));
        }
      },
    };
  }

  private async findDeliveries(
    idempotencyKey: string,
    filter: { endpoint?: string; eventType?: string },
  ): Promise<DeliverySummary[]> {
    if (!this.client) {
      throw new Error('HookgatePublisher: give options.admin (URL and key) to find deliveries');
    }
    const found: DeliverySummary[] = [];
    let cursor: string | undefined;
    do {
      const { data, error, response } = await this.client.GET('/api/v1/deliveries', {
        params: { query: { idempotencyKey, ...filter, limit: 500, cursor } },
      });
      if (!data) {
        throw new Error(
          `GET /api/v1/deliveries answered ${response.status}: ${JSON.stringify(error)}`,
        );
      }
      found.push(...data.items);
      cursor = data.nextCursor ?? undefined;
    } while (cursor);
    return found;
  }
}
