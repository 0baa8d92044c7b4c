import { Processor, WorkerHost } from '@nestjs/bullmq';
import { Inject, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { DelayedError, type Job } from 'bullmq';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  assertHandlesAllJobs,
  DeliveryQueue,
  LeasedItemProcessor,
  logWorkerErrors,
  OutboundRequestsJob,
  QueueName,
  type DeliverJob,
  type PublishJob,
} from '@app/messaging';
import {
  DeliveryIntake,
  isDataRefusedByPostgres,
  RequestRefusals,
  UnknownTenantError,
  type RefusalReason,
} from '@app/outbound';
import {
  outboundRequestsDeferred,
  outboundRequestsFailed,
  APP_CONFIG,
  outboundRequestsRefused,
  PeriodicTask,
  traceItem,
} from '@app/platform';
import { DatabaseHealth, TypeormUnitOfWork } from '@app/persistence';
import type { OutboundDispatcherConfig } from '../config';
import {
  FilesTooLargeError,
  JobValidationError,
  validateDeliverJob,
  validatePublishJob,
} from './job-validation';

/**
 * Consumes the public `outbound-requests` queue (SPEC §5 contract): `deliver` creates one
 * delivery, `publish` fans out to subscribed endpoints. Rows are committed first, then
 * their send jobs are enqueued.
 *
 * A job the queue accepted is an acknowledged request, whatever options its producer gave
 * it (BullMQ's defaults: one attempt, failed jobs kept or not). So this processor never
 * lets a job fail:
 * - a request that can never become a delivery (malformed, unknown job name, unknown
 *   tenant, data Postgres refuses) is refused: a row of `outbound_request_refusals` and
 *   `hookgate_outbound_requests_refused_total`, then the job completes;
 * - anything else that goes wrong (Postgres unreachable, above all) puts the job back to
 *   wait with backoff (`moveToDelayed`, which uses no attempt), counted in
 *   `hookgate_outbound_requests_deferred_total`; if Redis cannot take it back either, the
 *   processor waits in place and tries again.
 */
const HANDLED_JOBS = [OutboundRequestsJob.Deliver, OutboundRequestsJob.Publish];

/**
 * Intake jobs have no Postgres row until they are processed, so only BullMQ's stall
 * detection can recover one held by a dead dispatcher. Intake is a few milliseconds of
 * work, so a short lock frees such a job within ~15 s instead of up to a minute. BullMQ
 * fails a job that stalled more than `maxStalledCount` times, which would drop an
 * acknowledged request (a dispatcher restarting in a loop, Redis restarts): the limit is
 * out of reach, and each stall is counted (`deferred{reason="stalled"}`) instead.
 */
const INTAKE_WORKER_OPTIONS = {
  autorun: false,
  concurrency: 32,
  lockDuration: 10_000,
  stalledInterval: 5_000,
  maxStalledCount: Number.MAX_SAFE_INTEGER,
};

/** Backoff of a deferred request: 0.5 s doubling to 10 s, so recovery is seen within 10 s. */
const DEFER_BASE_MS = 500;
const DEFER_MAX_MS = 10_000;

export function deferDelayMs(round: number): number {
  const exponential = Math.min(DEFER_MAX_MS, DEFER_BASE_MS * 2 ** Math.min(round, 10));
  // Jitter, so requests deferred together do not all come back at the same instant.
  return Math.round(exponential * (0.75 + Math.random() * 0.25));
}

/**
 * A request without an idempotency key gets one from its job, so a job re-run after a
 * crash (rows committed, job not yet acknowledged) does not create a second delivery.
 * The job's creation time is part of it because job ids restart if Redis is emptied.
 */
export function implicitIdempotencyKey(job: Pick<Job, 'id' | 'timestamp'>): string {
  return `job:${String(job.id)}:${job.timestamp}`;
}

class UnknownJobError extends Error {}

/** Why a request can never become a delivery; null when waiting may cure the error. */
function refusalReason(error: unknown): RefusalReason | null {
  if (error instanceof FilesTooLargeError) return 'too_large';
  if (error instanceof JobValidationError) return 'malformed';
  if (error instanceof UnknownJobError) return 'unknown_job';
  if (error instanceof UnknownTenantError) return 'unknown_tenant';
  if (isDataRefusedByPostgres(error)) return 'unstorable';
  return null;
}

/** How often the intake reads whether `outbound-deliveries` is paused. */
const PAUSE_POLL_MS = 500;

type IntakeOutcome = { deliveries: string[] } | { refused: string };

@Processor(QueueName.OutboundRequests, INTAKE_WORKER_OPTIONS)
export class OutboundRequestsProcessor
  extends WorkerHost
  implements OnApplicationBootstrap, OnApplicationShutdown
{
  private readonly logger = new Logger(OutboundRequestsProcessor.name);
  /**
   * Whether `outbound-deliveries` is paused (an operator's pause in the queue board, say):
   * then nothing is handed straight to the sender, so a pause stops sends as it always
   * did. Read every {@link PAUSE_POLL_MS}; a pause takes effect within that.
   */
  private deliveriesPaused = false;
  private readonly pausePoll = new PeriodicTask(
    PAUSE_POLL_MS,
    async () => (this.deliveriesPaused = await this.deliveries.isPaused()),
    () => undefined, // Redis away: keep the last answer
  );

  constructor(
    private readonly database: DatabaseHealth,
    private readonly unitOfWork: TypeormUnitOfWork,
    private readonly intake: DeliveryIntake,
    private readonly deliveries: DeliveryQueue,
    private readonly refusals: RequestRefusals,
    @Inject(APP_CONFIG) private readonly config: OutboundDispatcherConfig,
    private readonly sender: LeasedItemProcessor,
  ) {
    super();
    assertHandlesAllJobs(QueueName.OutboundRequests, HANDLED_JOBS);
  }

  onApplicationBootstrap(): void {
    void this.deliveries.isPaused().then(
      (paused) => (this.deliveriesPaused = paused),
      () => undefined,
    );
    this.pausePoll.start();
    logWorkerErrors(this.worker, this.logger, QueueName.OutboundRequests);
    this.worker.on('stalled', (jobId: string) => {
      outboundRequestsDeferred.inc({ reason: 'stalled' });
      this.logger.warn(`request job ${jobId} stalled (its dispatcher died or lost Redis): re-run`);
    });
    this.worker.on('failed', (job: Job | undefined, error: Error) => {
      outboundRequestsFailed.inc();
      this.logger.error(
        `request job ${job?.name}/${job?.id} failed despite the intake: ${error.message}`,
      );
    });
    void this.worker.run();
  }

  onApplicationShutdown(): Promise<void> {
    return this.pausePoll.stop();
  }

  /** One request, in a span continuing the publisher's trace when the job names one. */
  process(job: Job<DeliverJob | PublishJob>, token?: string): Promise<IntakeOutcome> {
    const data: unknown = job.data;
    return traceItem(
      `intake ${job.name}`,
      {
        id: `job:${String(job.id)}`,
        traceparent:
          data && typeof data === 'object' ? (data as PublishJob).traceparent : undefined,
        attributes: { 'messaging.message.id': String(job.id) },
      },
      () => this.intakeWithDeferral(job, token),
    );
  }

  private async intakeWithDeferral(
    job: Job<DeliverJob | PublishJob>,
    token?: string,
  ): Promise<IntakeOutcome> {
    for (let round = 0; ; round += 1) {
      try {
        return await this.takeOrRefuse(job);
      } catch (error) {
        const unavailable = !this.database.initialized || (await this.postgresDown());
        outboundRequestsDeferred.inc({ reason: unavailable ? 'unavailable' : 'error' });
        const delayMs = deferDelayMs(Math.max(job.attemptsStarted - 1, 0) + round);
        this.logger.warn(
          `request job ${job.name}/${job.id} deferred ${delayMs} ms: ${String(error)}`,
        );
        if (token) {
          try {
            await job.moveToDelayed(Date.now() + delayMs, token);
          } catch (moveError) {
            // Redis cannot take it back (down, or the lock was lost): wait here instead.
            this.logger.warn(`request job ${job.id} kept in place: ${String(moveError)}`);
            await sleep(delayMs);
            continue;
          }
          throw new DelayedError(`deferred: ${String(error)}`);
        }
        await sleep(delayMs);
      }
    }
  }

  private async postgresDown(): Promise<boolean> {
    try {
      await this.database.ping();
      return false;
    } catch {
      return true;
    }
  }

  /** One try: deliveries created, or the refusal recorded. Throws what waiting may cure. */
  private async takeOrRefuse(job: Job<DeliverJob | PublishJob>): Promise<IntakeOutcome> {
    let reason: RefusalReason | null;
    let message: string;
    try {
      return await this.take(job);
    } catch (error) {
      reason = refusalReason(error);
      if (!reason) throw error;
      message = error instanceof Error ? error.message : String(error);
    }
    const data: unknown = job.data;
    const tenant =
      data && typeof data === 'object' && typeof (data as { tenant?: unknown }).tenant === 'string'
        ? (data as { tenant: string }).tenant
        : null;
    await this.refusals.record({
      jobKey: implicitIdempotencyKey(job),
      jobName: job.name,
      tenant,
      reason,
      message,
      data,
    });
    outboundRequestsRefused.inc({ reason });
    this.logger.warn(`refused ${job.name} job ${job.id} (${reason}): ${message}`);
    return { refused: `${reason}: ${message}` };
  }

  /**
   * Committed `queued` deliveries go straight to this dispatcher's sender while it has a
   * free slot (no second queue round trip: their first attempt starts now); the rest are
   * enqueued on `outbound-deliveries` as before. Either way the row was committed first,
   * and the job is acknowledged after this returns.
   */
  private async send(ids: string[]): Promise<void> {
    const enqueue = (rest: string[]) => this.deliveries.enqueue(rest.map((id) => ({ id })));
    if (this.deliveriesPaused) return enqueue(ids);
    const rest = this.sender.handOff(ids, (id) => this.deliveries.enqueueIds([id]));
    if (rest.length > 0) await enqueue(rest);
  }

  private async take(job: Job<DeliverJob | PublishJob>): Promise<{ deliveries: string[] }> {
    switch (job.name as OutboundRequestsJob) {
      case OutboundRequestsJob.Deliver: {
        const data = validateDeliverJob(job.data, {
          maxFileBytes: this.config.DELIVER_FILE_MAX_BYTES,
          maxTotalBytes: this.config.DELIVER_FILES_MAX_TOTAL_BYTES,
        });
        const tenantId = await this.intake.tenantId(data.tenant);
        const result = await this.intake.deliver(tenantId, {
          payload: data.payload,
          context: data.context,
          idempotencyKey: data.idempotencyKey ?? implicitIdempotencyKey(job),
          files: data.files,
          ...('connector' in data
            ? { endpoint: '', connector: { connector: data.connector, suffix: data.suffix } }
            : { endpoint: data.endpoint }),
        });
        // Duplicates too: a re-run after a crash between commit and enqueue must still
        // produce the job (an existing one absorbs the re-add by id).
        if (result.state === 'queued') await this.send([result.id]);
        return { deliveries: [result.id] };
      }
      case OutboundRequestsJob.Publish: {
        const data = validatePublishJob(job.data);
        const tenantId = await this.intake.tenantId(data.tenant);
        const results = await this.unitOfWork.transaction(({ manager }) =>
          this.intake.publish(
            tenantId,
            { ...data, idempotencyKey: data.idempotencyKey ?? implicitIdempotencyKey(job) },
            manager,
          ),
        );
        await this.send(results.filter((r) => r.state === 'queued').map((r) => r.id));
        return { deliveries: results.map((r) => r.id) };
      }
      default:
        throw new UnknownJobError(
          `unknown job name "${job.name}" (expected ${HANDLED_JOBS.join(' or ')})`,
        );
    }
  }
}
