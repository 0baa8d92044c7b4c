import {
  redactHeaders,
  storableJsonText,
  storableText,
  storableTextOrNull,
  type OutboundSettlement,
  type SendResult,
  type SendScheduler,
  type UnitOfWork,
} from '@app/core';
import { ItemLog, MicroBatcher, outboundDeliveriesFinished } from '@app/platform';
import {
  finishStatement,
  type AttemptRecord,
  type DeliveriesRepository,
  type DeliveryRow,
  type DispatcherEndpointsRepository,
  type Final,
  type FinishOptions,
  type WorkerTransaction,
} from '@app/persistence';
import type { OutboundEndpointCache, OutboundEndpointRuntime } from './outbound-endpoint-cache';
import type { RequestSnapshot } from './request-snapshot';

/** Enqueues a delivery's next attempt (core's port). */
export type { SendScheduler } from '@app/core';

/** One HTTP exchange as its attempt row records it. */
export interface Exchange {
  snapshot: RequestSnapshot;
  sent: SendResult;
  started: Date;
}

/**
 * Carries out what the dispatcher decided for a claimed delivery: a plan's settlement
 * (libs/core effects), a hold, a release, an attempt's record. Every write is guarded by
 * `state = 'processing' AND attempts = n` ({@link finishStatement}), so a worker that lost
 * its lease cannot overwrite the newer attempt's outcome.
 */
export class OutboundEffectExecutor {
  private readonly attempts: MicroBatcher<AttemptRecord, PromiseSettledResult<void>>;

  constructor(
    private readonly unitOfWork: UnitOfWork<WorkerTransaction>,
    private readonly dispatcherEndpoints: DispatcherEndpointsRepository,
    private readonly scheduler: SendScheduler,
    private readonly endpoints: OutboundEndpointCache,
    batchOptions: { maxBatch: number; maxInFlight: number },
  ) {
    // Deliveries the worker runs concurrently share their attempt-logging statement (see
    // MicroBatcher); each still waits for its own row's commit.
    this.attempts = new MicroBatcher((records) => this.recordAttempts(records), batchOptions);
  }

  /** The deliveries repository outside a transaction: each statement commits on its own. */
  private get deliveries(): DeliveriesRepository {
    return this.unitOfWork.outside.deliveries;
  }

  /** A plan's settlement, without an HTTP attempt; a retry is scheduled. */
  async applySettlement(delivery: DeliveryRow, settlement: OutboundSettlement): Promise<Final> {
    switch (settlement.state) {
      case 'done':
        return this.settle(delivery, 'done', { error: null });
      case 'dead_letter':
      case 'canceled':
        return this.settle(delivery, settlement.state, { error: settlement.reason });
      case 'queued':
        await this.finish(this.deliveries, delivery, 'queued', {
          delaySeconds: settlement.retrySeconds,
        });
        await this.scheduler.schedule(
          delivery.id,
          delivery.attempts,
          settlement.retrySeconds * 1000,
        );
        return 'queued';
    }
  }

  /** Final state without an HTTP attempt; `unclaim` gives the attempt count back. */
  async settle(
    delivery: DeliveryRow,
    state: Final,
    options: { error?: string | null; stack?: string | null; unclaim?: boolean },
  ): Promise<Final> {
    await this.finish(this.deliveries, delivery, state, {
      error: options.error ?? null,
      stack: options.stack,
      unclaim: options.unclaim,
    });
    outboundDeliveriesFinished.inc({ outcome: state });
    return state;
  }

  /**
   * Holds a delivery of a draft or disabled endpoint in `draft` (not failed: activating
   * the endpoint queues it again). The cached endpoint may be stale, so the decision is
   * re-made on the endpoint row under `FOR SHARE`: activation updates that row before it
   * moves the endpoint's drafts to `queued`, so either it waits for this hold to commit
   * (and then releases this delivery too) or this sees the endpoint already active.
   */
  async hold(delivery: DeliveryRow, endpointId: string): Promise<Final> {
    const held = await this.unitOfWork.transaction(async (tx) => {
      const endpoint = await this.dispatcherEndpoints.holdState(tx.manager, endpointId);
      const stillHeld = !endpoint || endpoint.state === 'draft' || endpoint.disabled;
      await this.finish(tx.deliveries, delivery, stillHeld ? 'draft' : 'queued', {
        unclaim: true,
      });
      return stillHeld;
    });
    if (held) {
      outboundDeliveriesFinished.inc({ outcome: 'draft' });
      return 'draft';
    }
    this.endpoints.invalidate(endpointId);
    await this.scheduler.schedule(delivery.id, delivery.attempts - 1, 0, true);
    return 'queued';
  }

  /** Rate-limited or over the in-flight cap: back to `queued` for later, not counted as an attempt. */
  async release(delivery: DeliveryRow, waitMs: number): Promise<void> {
    await this.finish(this.deliveries, delivery, 'queued', {
      delaySeconds: waitMs / 1000,
      unclaim: true,
    });
    await this.scheduler.schedule(delivery.id, delivery.attempts - 1, waitMs, true);
  }

  async recordAttemptAndFinish(
    delivery: DeliveryRow,
    endpoint: OutboundEndpointRuntime,
    exchange: Exchange | null,
    state: Final,
    options: { error?: string; errorClass?: string; delaySeconds?: number },
  ): Promise<void> {
    const outcome =
      state === 'done'
        ? 'success'
        : state === 'queued'
          ? 'retry'
          : state === 'dead_letter'
            ? 'dead_letter'
            : 'error';
    const sent = exchange?.sent;
    const finish = finishStatement(delivery, state, {
      error: state === 'done' ? null : (options.error ?? null),
      delaySeconds: options.delaySeconds,
      responseStatus: sent?.ok ? sent.status : null,
    });
    // The attempt row is written only when this worker still owned the delivery (the
    // guarded UPDATE returned it), in the same statement as the delivery's new state.
    // The sink's answer and the request (built from a publisher's payload) are outside
    // text: made storable, so a NUL in a body cannot lose the attempt (issue 21).
    const written = await this.attempts.submit({
      finish,
      attempt: [
        delivery.tenant_id,
        endpoint.id,
        (exchange?.started ?? new Date()).toISOString(),
        sent ? Math.round(sent.durationMs) : 0,
        exchange?.snapshot ? storableJsonText(exchange.snapshot) : null,
        // A sink's set-cookie and the like: redacted when stored, nothing reads them back.
        sent?.ok ? storableJsonText(redactHeaders(sent.headers)) : null,
        sent?.ok ? storableText(sent.body) : null,
        storableTextOrNull(options.error),
        sent && !sent.ok ? sent.errorClass : (options.errorClass ?? null),
        outcome,
      ],
    });
    if (written.status === 'rejected') throw written.reason;
    outboundDeliveriesFinished.inc({ outcome: state });
    itemLog.delivery(delivery, endpoint.code, state, options.error, sent?.ok ? sent.status : null);
  }

  async finish(
    deliveries: DeliveriesRepository,
    delivery: DeliveryRow,
    state: Final,
    options: FinishOptions,
  ): Promise<void> {
    await deliveries.finish(delivery, state, options);
    itemLog.delivery(delivery, delivery.endpoint_code, state, options.error);
  }

  /**
   * One statement for the batch; if it fails, each record is written on its own, and each
   * caller gets its own record's result: one bad row cannot fail (or unschedule) the others.
   */
  private async recordAttempts(records: AttemptRecord[]): Promise<PromiseSettledResult<void>[]> {
    if (records.length > 1) {
      try {
        await this.deliveries.recordAttempts(records);
        return records.map(() => ({ status: 'fulfilled', value: undefined }));
      } catch {
        // fall through: one statement per record
      }
    }
    return Promise.allSettled(
      records.map(async (r) => {
        await this.deliveries.recordAttempt(r);
      }),
    );
  }
}

/** One log line per delivery leaving processing (tenant, endpoint, id, attempt). */
const itemLog = new ItemLog('SendDelivery');
