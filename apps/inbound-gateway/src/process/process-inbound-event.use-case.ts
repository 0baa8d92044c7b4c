import type { DataSource, EntityManager } from 'typeorm';
import {
  buildForwardPayload,
  buildRecordData,
  deadLetter,
  done,
  evaluateRules,
  inboundRuleScope,
  normalizeOutcome,
  ProcessingConfigurationError,
  retry,
  storableJsonText,
  storableTextOrNull,
  type ExecutionLog,
  type HandlerRegistry,
  type HeaderBag,
  type InboundOutcome,
  type Outcome,
  type QueryBag,
  type RecordLookup,
  type RecordWriteLog,
  type StoredRecord,
} from '@app/core';
import {
  AmbiguousRecordError,
  NoRecordMatchedError,
  PostgresRecordStore,
  rowsOf,
  upsertRecords,
} from '@app/persistence';
import type { DeliveryIntake } from '@app/outbound';
import { inboundEventsProcessed, ItemLog, MicroBatcher } from '@app/platform';
import type { HandlerCache, HandlerRuntime } from '@app/persistence';

/**
 * Processes inbound events: claims each (`received → processing`, at most once at a time
 * thanks to the conditional update), runs its handler (rules or a registered callback),
 * and applies the outcome — record writes and the final state in one transaction, so a
 * crash leaves either nothing or everything.
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
export interface ClaimedEvent {
  id: string;
  tenant_id: string;
  endpoint_path: string;
  handler_id: string;
  payload: unknown;
  headers: HeaderBag;
  query: QueryBag;
  semantic: Record<string, unknown>;
  delivery_identity: string | null;
  replay_identity: string | null;
  raw_body: Buffer;
  attempts: number;
  received_at: Date;
  connector_id: string | null;
}

export interface RetryScheduler {
  scheduleRetry(eventId: string, attempts: number, delayMs: number): Promise<void>;
}

/** Hands queued delivery ids to the dispatcher once their rows are committed (best effort). */
export interface DeliveryEnqueuer {
  enqueueDeliveries(ids: string[]): void;
}

/**
 * The id goes through the primary key. `(state = 'received') IS TRUE` rather than
 * `state = 'received'`: with the plain form the planner may pick the partial index of
 * received events (`inbound_events_due_idx`) and filter it for the id, which is O(backlog)
 * per claim once that index has grown past its statistics (measured: 30 ms per claim at
 * 5,000 received events). The IS TRUE form does not match a partial index's predicate.
 * Every per-event statement guarded by a state uses it for the same reason.
 */
const CLAIM_SQL = `
  UPDATE inbound_events ev
     SET state = 'processing', attempts = ev.attempts + 1,
         lease_until = now() + make_interval(secs => $2), updated_at = now()
    FROM unnest($1::uuid[]) AS claim(id), inbound_endpoints ep
   WHERE ev.id = claim.id AND (ev.state = 'received') IS TRUE AND (ev.due_at IS NULL OR ev.due_at <= now())
     AND ep.id = ev.endpoint_id
  RETURNING ev.id, ev.tenant_id, ev.endpoint_path, ep.handler_id, ev.payload, ev.headers, ev.query,
            ev.semantic, ev.delivery_identity, ev.replay_identity, ev.raw_body, ev.attempts, ev.received_at,
            ep.connector_id`;

/**
 * The batch's claimable rows, locked until its transaction ends, in id order so that two
 * workers handed overlapping batches wait for each other instead of deadlocking. A row
 * another transaction holds is waited for and checked again (`received` and due) once it
 * is released. `attempts` is the count this run will write.
 */
const LOCK_SQL = `
  SELECT ev.id, ev.tenant_id, ev.endpoint_path, ep.handler_id, ev.payload, ev.headers, ev.query,
         ev.semantic, ev.delivery_identity, ev.replay_identity, ev.raw_body, ev.attempts + 1 AS attempts,
         ev.received_at, ep.connector_id
    FROM inbound_events ev
    JOIN inbound_endpoints ep ON ep.id = ev.endpoint_id
   WHERE ev.id = ANY($1::uuid[]) AND (ev.state = 'received') IS TRUE AND (ev.due_at IS NULL OR ev.due_at <= now())
   ORDER BY ev.id
     FOR NO KEY UPDATE OF ev`;

export interface ProcessBatchOptions {
  /** Most events claimed and settled together. */
  maxBatch: number;
  /** Batches running at once (each holds one pooled connection while it runs). */
  maxInFlight: number;
}

/** How an event leaves `processing` (besides `error`, written on its own). */
interface Settlement {
  id: string;
  /** The claimed row, for the item's log line. */
  event: ClaimedEvent;
  state: 'done' | 'dead_letter' | 'received';
  log: ExecutionLog;
  matchedRule: string | null;
  error: string | null;
  /** `received` (a retry): when the event is due again, and its attempt count. */
  retrySeconds: number | null;
  attempts: number;
}

/** A record an upsert of the batch wrote (see upsertRecords). */
type Upserted = StoredRecord & { created: boolean };

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

/**
 * Settles a batch. An event claimed with a lease is settled from `processing` at the
 * attempt count its claim wrote; an event claimed by its row lock, from `received` at the
 * count before this run, which the settlement then writes.
 */
const settleSql = (claim: 'lease' | 'lock') => `
  UPDATE inbound_events ev
     SET state = s.state, attempts = s.attempts,
         execution_log = COALESCE(s.log, ev.execution_log),
         matched_rule = CASE WHEN s.state = 'received' THEN s.matched_rule
                             ELSE COALESCE(s.matched_rule, ev.matched_rule) END,
         error = CASE WHEN s.state = 'received' THEN ev.error ELSE s.error END,
         error_stack = CASE WHEN s.state = 'received' THEN ev.error_stack ELSE NULL END,
         due_at = CASE WHEN s.state = 'received' THEN now() + make_interval(secs => s.retry_seconds) ELSE ev.due_at END,
         processed_at = CASE WHEN s.state = 'received' THEN ev.processed_at ELSE now() END,
         lease_until = NULL, updated_at = now()
    FROM unnest($1::uuid[], $2::text[], $3::jsonb[], $4::text[], $5::text[], $6::float8[], $7::int[])
         AS s(id, state, log, matched_rule, error, retry_seconds, attempts)
   WHERE ev.id = s.id AND ${
     claim === 'lease'
       ? `(ev.state = 'processing') IS TRUE AND ev.attempts = s.attempts`
       : `(ev.state = 'received') IS TRUE AND ev.attempts = s.attempts - 1`
   }
  RETURNING ev.id`;
const SETTLE_LEASED_SQL = settleSql('lease');
const SETTLE_LOCKED_SQL = settleSql('lock');

/**
 * The event is no longer this worker's claim (its lease ran out and another worker claimed
 * it again): the transaction rolls back, so its record writes are undone too.
 */
class ClaimLostError extends Error {
  constructor(lost: number) {
    super(`${lost} event(s) were claimed again by another worker; their outcome is not written`);
  }
}

/** One log line per event leaving processing (tenant, endpoint, id, attempt). */
const itemLog = new ItemLog('ProcessInboundEvent');

export class ProcessInboundEvent {
  private readonly batcher: MicroBatcher<string, string | null>;

  constructor(
    private readonly dataSource: DataSource,
    private readonly handlers: HandlerCache,
    private readonly registry: HandlerRegistry,
    private readonly retries: RetryScheduler,
    private readonly intake: DeliveryIntake,
    private readonly deliveries: DeliveryEnqueuer,
    private readonly leaseSeconds: number,
    batchOptions: ProcessBatchOptions = { maxBatch: 32, maxInFlight: 4 },
  ) {
    this.batcher = new MicroBatcher((ids) => this.executeBatch(ids), batchOptions);
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
      locked = await this.dataSource.transaction((manager) => this.runLocked(manager, unique));
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
      const claimed = await this.claim(this.dataSource.manager, unique);
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
  private async runLocked(manager: EntityManager, ids: string[]): Promise<LockedBatch> {
    const rows = rowsOf<ClaimedEvent>(await manager.query(LOCK_SQL, [ids]));
    const rules: Array<{ event: ClaimedEvent; handler: HandlerRuntime }> = [];
    const others: string[] = [];
    for (const event of rows) {
      const handler = await this.handlers.get(event.handler_id, manager);
      if (handler?.executionMode === 'rules') rules.push({ event, handler });
      else others.push(event.id);
    }
    const alone = others.length > 0 ? await this.claim(manager, others) : [];
    const after: AfterCommit = { queued: [], settlements: [] };
    if (rules.length === 0) return { after, alone };
    const evaluated = rules.map(({ event, handler }) => ({
      event,
      handler,
      evaluation: evaluateRules(handler.rules, this.scopeOf(event), 'inbound'),
    }));
    const upserted = await this.upsertTogether(manager, evaluated);
    for (const { event, handler, evaluation } of evaluated) {
      const { outcome, log } = await this.decideByRules(
        manager,
        event,
        handler,
        after.queued,
        evaluation,
        upserted.get(event.id),
      );
      after.settlements.push(settlementOf(event, handler.maxRetries, outcome, log));
    }
    await this.settle(manager, after.settlements, SETTLE_LOCKED_SQL);
    return { after, alone };
  }

  /** Claims with a lease (`received → processing`): the event runs outside the claim's transaction. */
  private async claim(manager: EntityManager, ids: string[]): Promise<ClaimedEvent[]> {
    return rowsOf<ClaimedEvent>(await manager.query(CLAIM_SQL, [ids, this.leaseSeconds]));
  }

  /** One claimed event in its own transaction; an unexpected failure ends it in `error`. */
  private async runAlone(event: ClaimedEvent): Promise<string | null> {
    try {
      return await this.run(event);
    } catch (error) {
      if (error instanceof ClaimLostError) return null;
      await this.finish(this.dataSource.manager, event, {
        state: 'error',
        error: error instanceof Error ? error.message : String(error),
        stack: error instanceof Error ? (error.stack ?? null) : null,
      });
      inboundEventsProcessed.inc({ outcome: 'error' });
      itemLog.event(event, 'error', error instanceof Error ? error.message : String(error));
      return 'error';
    }
  }

  private async run(event: ClaimedEvent): Promise<string> {
    const handler = await this.handlers.get(event.handler_id);
    if (!handler)
      throw new ProcessingConfigurationError(`handler ${event.handler_id} no longer exists`);

    const after = await this.dataSource.transaction(async (manager) => {
      const done: AfterCommit = { queued: [], settlements: [] };
      const { outcome, log } =
        handler.executionMode === 'callback'
          ? await this.decideByCallback(manager, event, handler, done.queued)
          : await this.decideByRules(manager, event, handler, done.queued);
      done.settlements.push(settlementOf(event, handler.maxRetries, outcome, log));
      await this.settle(manager, done.settlements, SETTLE_LEASED_SQL);
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

  /** A statement per batch: each event's final state (or its retry), guarded by its claim. */
  private async settle(
    manager: EntityManager,
    settlements: Settlement[],
    sql: typeof SETTLE_LEASED_SQL,
  ): Promise<void> {
    const settled = rowsOf(
      await manager.query(sql, [
        settlements.map((s) => s.id),
        settlements.map((s) => s.state),
        // Logs and errors may quote what a callback met outside (an API's answer): made
        // storable, so one NUL cannot fail the batch's settle (issue 21).
        settlements.map((s) => storableJsonText(s.log)),
        settlements.map((s) => storableTextOrNull(s.matchedRule)),
        settlements.map((s) => storableTextOrNull(s.error)),
        settlements.map((s) => s.retrySeconds),
        settlements.map((s) => s.attempts),
      ]),
    );
    if (settled.length < settlements.length) {
      throw new ClaimLostError(settlements.length - settled.length);
    }
  }

  private deliverVia(manager: EntityManager, event: ClaimedEvent, queued: string[]) {
    return async (request: {
      endpoint: string;
      payload: unknown;
      context?: Record<string, string>;
      idempotencyKey?: string;
      eventType?: string;
    }) => {
      const result = await this.intake.deliver(
        event.tenant_id,
        { ...request, sourceEventId: event.id },
        manager,
      );
      if (result.state === 'queued' && !result.duplicate) queued.push(result.id);
      return result;
    };
  }

  /**
   * The upserts of a batch in a fixed number of statements ({@link upsertRecords}), when
   * the batch only upserts or writes nothing: a create, update or forward among them could
   * depend on the upserts' order, so such a batch upserts event by event.
   */
  private async upsertTogether(
    manager: EntityManager,
    evaluated: Array<{ event: ClaimedEvent; evaluation: ReturnType<typeof evaluateRules> }>,
  ): Promise<Map<string, Upserted>> {
    const none = new Map<string, Upserted>();
    const quiet = ['done', 'dead_letter', 'retry', 'upsert_record'];
    if (!evaluated.every(({ evaluation }) => quiet.includes(evaluation.action))) return none;
    const upserts = evaluated.filter(({ evaluation }) => evaluation.action === 'upsert_record');
    if (upserts.length < 2) return none;
    const results = await upsertRecords(
      manager,
      upserts.map(({ event, evaluation }) => ({
        tenantId: event.tenant_id,
        eventId: event.id,
        model: evaluation.matchedRule!.targetModel!,
        lookup: evaluation.lookups.map((l) => ({ field: l.field, value: l.value })),
        data: buildRecordData(evaluation.assignments),
      })),
    );
    if (!results) return none;
    return new Map(upserts.map(({ event }, i) => [event.id, results[i]]));
  }

  private async decideByRules(
    manager: EntityManager,
    event: ClaimedEvent,
    handler: HandlerRuntime,
    queued: string[],
    evaluation = evaluateRules(handler.rules, this.scopeOf(event), 'inbound'),
    upserted?: Upserted,
  ): Promise<{ outcome: Outcome; log: ExecutionLog }> {
    // Record writes and deliveries join the caller's transaction: they exist exactly when
    // the event's outcome does.
    const records = new PostgresRecordStore(manager, event.tenant_id, event.id);
    const writes: RecordWriteLog[] = [];
    const log = evaluation.log;
    const outcome = await this.applyRuleAction(
      evaluation,
      event,
      records,
      writes,
      this.deliverVia(manager, event, queued),
      upserted,
    );
    log.records = writes;
    return { outcome, log };
  }

  private async decideByCallback(
    manager: EntityManager,
    event: ClaimedEvent,
    handler: HandlerRuntime,
    queued: string[],
  ): Promise<{ outcome: Outcome; log: ExecutionLog }> {
    const records = new PostgresRecordStore(manager, event.tenant_id, event.id);
    const deliver = this.deliverVia(manager, event, queued);
    const callback = this.registry.getInbound(handler.callback ?? '');
    const result = await callback({
      event: {
        id: event.id,
        tenant: event.tenant_id,
        endpointPath: event.endpoint_path,
        receivedAt: new Date(event.received_at),
        payload: event.payload,
        headers: event.headers,
        query: event.query,
        semantic: event.semantic,
        deliveryIdentity: event.delivery_identity,
        replayIdentity: event.replay_identity,
        rawBody: event.raw_body,
        attempts: event.attempts,
        connectorId: event.connector_id,
      },
      records,
      deliveries: {
        deliver: async (request) => {
          const result = await deliver(request);
          return { id: result.id, duplicate: result.duplicate };
        },
        publish: async (request) => {
          const results = await this.intake.publish(
            event.tenant_id,
            { ...request, sourceEventId: event.id },
            manager,
          );
          for (const r of results) if (r.state === 'queued' && !r.duplicate) queued.push(r.id);
          return { ids: results.map((r) => r.id) };
        },
      },
      log: () => undefined,
    });
    const outcome = normalizeOutcome(result, 'inbound');
    return {
      outcome,
      log: {
        direction: 'inbound',
        mode: 'callback',
        rules: [],
        matchedRule: null,
        action: outcome.type,
        note: `callback ${handler.callback}`,
        assignments: [],
        lookups: [],
        records: [],
      },
    };
  }

  /** The same scope the rule simulator builds (libs/core rule-scope). */
  private scopeOf(event: ClaimedEvent) {
    return inboundRuleScope({
      payload: event.payload,
      headers: event.headers,
      query: event.query,
      semantic: event.semantic,
      event: {
        id: event.id,
        receivedAt: new Date(event.received_at),
        endpointPath: event.endpoint_path,
        deliveryIdentity: event.delivery_identity,
        replayIdentity: event.replay_identity,
        attempts: event.attempts,
      },
    });
  }

  private async applyRuleAction(
    evaluation: ReturnType<typeof evaluateRules>,
    event: ClaimedEvent,
    records: PostgresRecordStore,
    writes: RecordWriteLog[],
    deliver: (request: {
      endpoint: string;
      payload: unknown;
      idempotencyKey?: string;
    }) => Promise<{ id: string; state: string }>,
    upserted?: Upserted,
  ): Promise<Outcome> {
    const rule = evaluation.matchedRule;
    const data = buildRecordData(evaluation.assignments);
    const lookup: RecordLookup = evaluation.lookups.map((l) => ({
      field: l.field,
      value: l.value,
    }));
    const action = evaluation.action;
    switch (action) {
      case 'done':
        return done(evaluation.log.note);
      case 'dead_letter':
        return deadLetter(
          evaluation.log.note ??
            (rule ? `rule "${rule.name}" dead-lettered the event` : 'dead-lettered'),
        );
      case 'retry':
        return retry(rule?.retrySeconds ?? 60);
      case 'create_record': {
        const record = await records.create(rule!.targetModel!, data);
        writes.push({ model: record.model, recordId: record.id, operation: 'created' });
        return done();
      }
      case 'update_record':
        try {
          const record = await records.update(rule!.targetModel!, lookup, data);
          writes.push({ model: record.model, recordId: record.id, operation: 'updated' });
          return done();
        } catch (error) {
          if (error instanceof NoRecordMatchedError) return deadLetter('no record matched');
          if (error instanceof AmbiguousRecordError) throw error;
          throw error;
        }
      case 'upsert_record': {
        const record = upserted ?? (await records.upsert(rule!.targetModel!, lookup, data));
        writes.push({
          model: record.model,
          recordId: record.id,
          operation: record.created ? 'created' : 'updated',
        });
        return done();
      }
      case 'forward': {
        // One delivery per event and rule: a re-run (retry, reset, crash) finds it again.
        const delivery = await deliver({
          endpoint: rule!.forwardTo!,
          payload: buildForwardPayload(evaluation, event.payload),
          idempotencyKey: `forward-${event.id}-${rule!.sequence}`,
        });
        return done(
          `forwarded to ${rule!.forwardTo} as delivery ${delivery.id} (${delivery.state})`,
        );
      }
      case 'send':
      case 'mutate':
      case 'cancel':
        throw new ProcessingConfigurationError(`action "${action}" is outbound-only`);
    }
  }

  /** Guarded like {@link SETTLE_LEASED_SQL}: only this claim (its attempt count) is finished. */
  private async finish(
    manager: EntityManager,
    event: ClaimedEvent,
    result: { state: string; error?: string; stack?: string | null },
  ): Promise<void> {
    await manager.query(
      `UPDATE inbound_events
          SET state = $2, error = $3, error_stack = $4, lease_until = NULL, processed_at = now(), updated_at = now()
        WHERE id = $1 AND (state = 'processing') IS TRUE AND attempts = $5`,
      [
        event.id,
        result.state,
        storableTextOrNull(result.error),
        storableTextOrNull(result.stack),
        event.attempts,
      ],
    );
  }
}

/** The final state an outcome leads to; a retry past `maxRetries` is a dead letter. */
function settlementOf(
  event: ClaimedEvent,
  maxRetries: number,
  outcome: Outcome,
  log: ExecutionLog,
): Settlement {
  const base = { id: event.id, event, log, matchedRule: log.matchedRule, attempts: event.attempts };
  const inbound = outcome as InboundOutcome;
  switch (inbound.type) {
    case 'done':
    case 'cancel':
      return { ...base, state: 'done', error: null, retrySeconds: null };
    case 'dead_letter':
      return { ...base, state: 'dead_letter', error: inbound.reason, retrySeconds: null };
    case 'retry':
      if (event.attempts > maxRetries) {
        return {
          ...base,
          state: 'dead_letter',
          error: `retries exhausted after ${event.attempts} attempts`,
          retrySeconds: null,
        };
      }
      return { ...base, state: 'received', error: null, retrySeconds: inbound.seconds };
  }
}
