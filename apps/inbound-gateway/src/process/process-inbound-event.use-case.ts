import {
  evaluateRules,
  planInboundEffects,
  ProcessingConfigurationError,
  settleInboundOutcome,
  type DeliveryEnqueuer,
  type HandlerRegistry,
  type RetryScheduler,
  type UnitOfWork,
} from '@app/core';
import { RecordChangePublisher, type DeliveryIntake } from '@app/outbound';
import { inboundEventsProcessed, ItemLog, MicroBatcher } from '@app/platform';
import type { HandlerCache, HandlerRuntime, WorkerTransaction } from '@app/persistence';
import { ruleScopeOf, type ClaimedEvent } from './claimed-event';
import {
  applyInboundPlan,
  deliverVia,
  upsertTogether,
  type Upserted,
} from './inbound-effects.executor';
import { ClaimLostError, settleEvents, settlementRow, type Settlement } from './inbound-settlement';
import { runInboundCallback } from './run-inbound-callback';

export type { ClaimedEvent } from './claimed-event';

/**
 * Processes inbound events: claims each (`received → processing`, at most once at a time
 * thanks to the conditional update), runs its handler (rules or a registered callback),
 * and applies the outcome — record writes and the final state in one transaction, so a
 * crash leaves either nothing or everything. What a rule's action does is planned in
 * libs/core (planInboundEffects) and carried out by ./inbound-effects.executor.
 *
 * Events the worker runs concurrently are processed in batches ({@link MicroBatcher}). A
 * batch opens one transaction that locks its `received` rows (`FOR NO KEY UPDATE`, in id
 * order). Rules-mode events are processed inside it and settled by one statement straight
 * from `received`: the row lock is their claim, so they never pass through a committed
 * `processing` state, and each costs Postgres one row version instead of two. Callback
 * events are claimed (`processing`, with a lease) in the same transaction and run after it
 * commits, one event per transaction, so a callback never runs twice because a neighbour
 * failed. The transaction commits only if every rules event in it succeeded; otherwise it
 * rolls back, writing nothing, and the batch runs the unbatched way: claimed with a lease,
 * then each event on its own.
 */
export type { DeliveryEnqueuer, RetryScheduler } from '@app/core';

export interface ProcessBatchOptions {
  /** Most events claimed and settled together. */
  maxBatch: number;
  /** Batches running at once (each holds one pooled connection while it runs). */
  maxInFlight: number;
}

/** The deliveries to hand to the dispatcher and the retries to schedule once committed. */
interface AfterCommit {
  queued: string[];
  settlements: Settlement[];
}

/** A committed batch transaction: its rules events' outcomes and the events claimed to run alone. */
interface LockedBatch {
  after: AfterCommit;
  alone: ClaimedEvent[];
}

/** Waits for every promise, then rethrows the first failure, if any. */
async function settleAll(work: Array<Promise<unknown>>): Promise<void> {
  const failed = (await Promise.allSettled(work)).find((r) => r.status === 'rejected');
  if (failed) throw (failed as PromiseRejectedResult).reason;
}

/** One log line per event leaving processing (tenant, endpoint, id, attempt). */
const itemLog = new ItemLog('ProcessInboundEvent');

export class ProcessInboundEvent {
  private readonly batcher: MicroBatcher<string, string | null>;
  /** Record-change triggers: a record write's events join the event's transaction. */
  private readonly recordChanges: RecordChangePublisher;

  constructor(
    private readonly unitOfWork: UnitOfWork<WorkerTransaction>,
    private readonly handlers: HandlerCache,
    private readonly registry: HandlerRegistry,
    private readonly retries: RetryScheduler,
    private readonly intake: DeliveryIntake,
    private readonly deliveries: DeliveryEnqueuer,
    private readonly leaseSeconds: number,
    batchOptions: ProcessBatchOptions = { maxBatch: 32, maxInFlight: 4 },
  ) {
    this.batcher = new MicroBatcher((ids) => this.executeBatch(ids), batchOptions);
    this.recordChanges = new RecordChangePublisher(intake);
  }

  /** Returns the final state written, or null when the event was not claimable. */
  execute(eventId: string): Promise<string | null> {
    return this.batcher.submit(eventId);
  }

  private async executeBatch(ids: string[]): Promise<Array<string | null>> {
    const unique = [...new Set(ids)];
    const results = new Map<string, string | null>();
    let locked: LockedBatch | undefined;
    try {
      locked = await this.unitOfWork.transaction((tx) => this.runLocked(tx, unique));
    } catch {
      // Rolled back: nothing of the batch was written. It runs the unbatched way below.
    }
    if (locked) {
      const { after, alone } = locked;
      for (const settlement of after.settlements) results.set(settlement.id, settlement.state);
      // Committed: a failure from here on must not run the rules events again.
      await settleAll([
        this.afterCommit(after),
        ...alone.map(async (event) => results.set(event.id, await this.runAlone(event))),
      ]);
    } else {
      const claimed = await this.claim(this.unitOfWork.outside, unique);
      await settleAll(
        claimed.map(async (event) => results.set(event.id, await this.runAlone(event))),
      );
    }
    return ids.map((id) => results.get(id) ?? null);
  }

  /**
   * Inside the batch transaction: locks the claimable rows, processes the rules-mode events
   * and settles them in one statement, and claims the others with a lease to run on their
   * own once this commits. Throws (rolling all of it back) if any rules event fails.
   */
  private async runLocked(tx: WorkerTransaction, ids: string[]): Promise<LockedBatch> {
    const { manager } = tx;
    const rows = await tx.inboundEvents.lock(ids);
    const rules: Array<{ event: ClaimedEvent; handler: HandlerRuntime }> = [];
    const others: string[] = [];
    for (const event of rows) {
      const handler = await this.handlers.get(event.handler_id, manager);
      if (handler?.executionMode === 'rules') rules.push({ event, handler });
      else others.push(event.id);
    }
    const alone = others.length > 0 ? await this.claim(tx, others) : [];
    const after: AfterCommit = { queued: [], settlements: [] };
    if (rules.length === 0) return { after, alone };
    const planned = rules.map(({ event, handler }) => ({ event, ...this.plan(event, handler) }));
    const upserted = await upsertTogether(manager, planned);
    for (const { event, evaluation, plan } of planned) {
      after.settlements.push(
        await this.applyPlan(tx, event, after.queued, { evaluation, plan }, upserted.get(event.id)),
      );
    }
    await settleEvents(tx.inboundEvents, after.settlements, 'lock');
    return { after, alone };
  }

  /** Claims with a lease (`received → processing`): the event runs outside the claim's transaction. */
  private claim(tx: WorkerTransaction, ids: string[]): Promise<ClaimedEvent[]> {
    return tx.inboundEvents.claim(ids, this.leaseSeconds);
  }

  /** One claimed event in its own transaction; an unexpected failure ends it in `error`. */
  private async runAlone(event: ClaimedEvent): Promise<string | null> {
    try {
      return await this.run(event);
    } catch (error) {
      if (error instanceof ClaimLostError) return null;
      await this.unitOfWork.outside.inboundEvents.finish(
        event.id,
        event.attempts,
        'error',
        error instanceof Error ? error.message : String(error),
        error instanceof Error ? (error.stack ?? null) : null,
      );
      inboundEventsProcessed.inc({ outcome: 'error' });
      itemLog.event(event, 'error', error instanceof Error ? error.message : String(error));
      return 'error';
    }
  }

  private async run(event: ClaimedEvent): Promise<string> {
    const handler = await this.handlers.get(event.handler_id);
    if (!handler)
      throw new ProcessingConfigurationError(`handler ${event.handler_id} no longer exists`);

    const after = await this.unitOfWork.transaction(async (tx) => {
      const { manager } = tx;
      const done: AfterCommit = { queued: [], settlements: [] };
      if (handler.executionMode === 'callback') {
        const { outcome, log } = await runInboundCallback(
          this.registry,
          this.intake,
          this.recordChanges.store(manager, event.tenant_id, done.queued, event.id),
          manager,
          event,
          handler,
          done.queued,
        );
        const settlement = settleInboundOutcome(outcome, {
          attempts: event.attempts,
          maxRetries: handler.maxRetries,
        });
        done.settlements.push(settlementRow(event, settlement, log));
      } else {
        done.settlements.push(
          await this.applyPlan(tx, event, done.queued, this.plan(event, handler)),
        );
      }
      await settleEvents(tx.inboundEvents, done.settlements, 'lease');
      return done;
    });
    await this.afterCommit(after);
    return after.settlements[0].state;
  }

  /** Deliveries and retries go to BullMQ only once the rows they name are committed. */
  private async afterCommit({ queued, settlements }: AfterCommit): Promise<void> {
    if (queued.length > 0) this.deliveries.enqueueDeliveries(queued);
    for (const settlement of settlements) {
      itemLog.event(settlement.event, settlement.state, settlement.error);
      if (settlement.state === 'received') {
        await this.retries.scheduleRetry(
          settlement.id,
          settlement.attempts,
          (settlement.retrySeconds ?? 0) * 1000,
        );
        inboundEventsProcessed.inc({ outcome: 'retry' });
      } else {
        inboundEventsProcessed.inc({ outcome: settlement.state });
      }
    }
  }

  /** The rules' decision on the event and what it does (libs/core effects). */
  private plan(event: ClaimedEvent, handler: HandlerRuntime) {
    const evaluation = evaluateRules(handler.rules, ruleScopeOf(event), 'inbound');
    const plan = planInboundEffects(evaluation, {
      id: event.id,
      payload: event.payload,
      attempts: event.attempts,
      maxRetries: handler.maxRetries,
    });
    return { evaluation, plan };
  }

  /** Carries out a rules plan in the caller's transaction; the log gains the records written. */
  private async applyPlan(
    { manager }: WorkerTransaction,
    event: ClaimedEvent,
    queued: string[],
    { evaluation, plan }: ReturnType<ProcessInboundEvent['plan']>,
    upserted?: Upserted,
  ): Promise<Settlement> {
    const deliver = deliverVia(this.intake, manager, event, queued);
    const records = this.recordChanges.store(manager, event.tenant_id, queued, event.id);
    const { settlement, writes } = await applyInboundPlan(plan, records, deliver, upserted);
    const log = evaluation.log;
    log.records = writes;
    return settlementRow(event, settlement, log);
  }
}
