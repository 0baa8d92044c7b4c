import { Processor, WorkerHost } from '@nestjs/bullmq';
import { Logger, OnApplicationBootstrap } from '@nestjs/common';
import type { Job } from 'bullmq';
import { DataSource } from 'typeorm';
import {
  assertHandlesAllJobs,
  OutboundRequestsJob,
  QueueName,
  type DeliverJob,
  type PublishJob,
} from '@app/messaging';
import { DeliveryIntake, DeliveryQueue, UnknownTenantError } from '@app/outbound';
import { JobValidationError, validateDeliverJob, validatePublishJob } from './job-validation';

/**
 * Consumes the public `outbound-requests` queue (SPEC §5 contract): `deliver` creates one
 * delivery, `publish` fans out to subscribed endpoints. Rows are committed first, then
 * their send jobs are enqueued. A malformed job is logged and dropped — it cannot become
 * a delivery, and retrying it cannot help.
 */
const HANDLED_JOBS = [OutboundRequestsJob.Deliver, OutboundRequestsJob.Publish];

/**
 * Intake jobs have no Postgres row until they are processed, so only BullMQ's stall
 * detection can recover one held by a dead dispatcher. Intake is a few milliseconds of
 * work, so a short lock frees such a job within ~15 s instead of up to a minute, and a
 * job may stall several times before BullMQ gives up on it.
 */
const INTAKE_WORKER_OPTIONS = {
  autorun: false,
  concurrency: 32,
  lockDuration: 10_000,
  stalledInterval: 5_000,
  maxStalledCount: 10,
};

/**
 * A request without an idempotency key gets one from its job, so a job re-run after a
 * crash (rows committed, job not yet acknowledged) does not create a second delivery.
 * The job's creation time is part of it because job ids restart if Redis is emptied.
 */
export function implicitIdempotencyKey(job: Pick<Job, 'id' | 'timestamp'>): string {
  return `job:${String(job.id)}:${job.timestamp}`;
}

@Processor(QueueName.OutboundRequests, INTAKE_WORKER_OPTIONS)
export class OutboundRequestsProcessor extends WorkerHost implements OnApplicationBootstrap {
  private readonly logger = new Logger(OutboundRequestsProcessor.name);

  constructor(
    private readonly dataSource: DataSource,
    private readonly intake: DeliveryIntake,
    private readonly deliveries: DeliveryQueue,
  ) {
    super();
    assertHandlesAllJobs(QueueName.OutboundRequests, HANDLED_JOBS);
  }

  onApplicationBootstrap(): void {
    void this.worker.run();
  }

  async process(
    job: Job<DeliverJob | PublishJob>,
  ): Promise<{ deliveries: string[] } | { rejected: string }> {
    try {
      switch (job.name as OutboundRequestsJob) {
        case OutboundRequestsJob.Deliver: {
          const data = validateDeliverJob(job.data);
          const tenantId = await this.intake.tenantId(data.tenant);
          const result = await this.intake.deliver(tenantId, {
            payload: data.payload,
            context: data.context,
            idempotencyKey: data.idempotencyKey ?? implicitIdempotencyKey(job),
            ...('connector' in data
              ? { endpoint: '', connector: { connector: data.connector, suffix: data.suffix } }
              : { endpoint: data.endpoint }),
          });
          // Duplicates too: a re-run after a crash between commit and enqueue must still
          // produce the job (an existing one absorbs the re-add by id).
          if (result.state === 'queued') await this.deliveries.enqueue([{ id: result.id }]);
          return { deliveries: [result.id] };
        }
        case OutboundRequestsJob.Publish: {
          const data = validatePublishJob(job.data);
          const tenantId = await this.intake.tenantId(data.tenant);
          const results = await this.dataSource.transaction((manager) =>
            this.intake.publish(
              tenantId,
              { ...data, idempotencyKey: data.idempotencyKey ?? implicitIdempotencyKey(job) },
              manager,
            ),
          );
          await this.deliveries.enqueue(
            results.filter((r) => r.state === 'queued').map((r) => ({ id: r.id })),
          );
          return { deliveries: results.map((r) => r.id) };
        }
      }
    } catch (error) {
      if (error instanceof JobValidationError || error instanceof UnknownTenantError) {
        this.logger.warn(`dropped ${job.name} job ${job.id}: ${error.message}`);
        return { rejected: error.message };
      }
      throw error;
    }
  }
}
