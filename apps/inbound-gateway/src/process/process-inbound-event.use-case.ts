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
  type ExecutionLog,
  type HandlerRegistry,
  type HeaderBag,
  type InboundOutcome,
  type Outcome,
  type QueryBag,
  type RecordLookup,
  type RecordWriteLog,
} from '@app/core';
import { AmbiguousRecordError, NoRecordMatchedError, PostgresRecordStore } from '@app/persistence';
import type { DeliveryIntake } from '@app/outbound';
import { inboundEventsProcessed } from '@app/platform';
import type { HandlerCache } from '@app/persistence';

/**
 * Processes one inbound event: claims it (`received → processing`, at most once at a
 * time thanks to the conditional update), runs its handler (rules or a registered
 * callback), and applies the outcome — record writes and the final state in one
 * transaction, so a crash leaves either nothing or everything.
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
    FROM inbound_endpoints ep
   WHERE ev.id = $1 AND (ev.state = 'received') IS TRUE AND (ev.due_at IS NULL OR ev.due_at <= now())
     AND ep.id = ev.endpoint_id
  RETURNING ev.id, ev.tenant_id, ev.endpoint_path, ep.handler_id, ev.payload, ev.headers, ev.query,
            ev.semantic, ev.delivery_identity, ev.replay_identity, ev.raw_body, ev.attempts, ev.received_at,
            ep.connector_id`;

export class ProcessInboundEvent {
  constructor(
    private readonly dataSource: DataSource,
    private readonly handlers: HandlerCache,
    private readonly registry: HandlerRegistry,
    private readonly retries: RetryScheduler,
    private readonly intake: DeliveryIntake,
    private readonly deliveries: DeliveryEnqueuer,
    private readonly leaseSeconds: number,
  ) {}

  /** Returns the final state written, or null when the event was not claimable. */
  async execute(eventId: string): Promise<string | null> {
    const claimed = await this.claim(eventId);
    if (!claimed) return null;
    try {
      return await this.run(claimed);
    } catch (error) {
      await this.finish(this.dataSource.manager, claimed.id, {
        state: 'error',
        error: error instanceof Error ? error.message : String(error),
        stack: error instanceof Error ? (error.stack ?? null) : null,
      });
      inboundEventsProcessed.inc({ outcome: 'error' });
      return 'error';
    }
  }

  private async claim(eventId: string): Promise<ClaimedEvent | null> {
    const result: unknown = await this.dataSource.query(CLAIM_SQL, [eventId, this.leaseSeconds]);
    const rows = (
      Array.isArray(result) && Array.isArray(result[0]) ? result[0] : result
    ) as ClaimedEvent[];
    return rows[0] ?? null;
  }

  private async run(event: ClaimedEvent): Promise<string> {
    const handler = await this.handlers.get(event.handler_id);
    if (!handler)
      throw new ProcessingConfigurationError(`handler ${event.handler_id} no longer exists`);

    const queued: string[] = [];
    const state = await this.dataSource.transaction(async (manager) => {
      const records = new PostgresRecordStore(manager, event.tenant_id, event.id);
      // Deliveries are written in this transaction: they exist exactly when the event's
      // outcome does.
      const deliver = async (request: {
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
      const writes: RecordWriteLog[] = [];
      let outcome: Outcome;
      let log: ExecutionLog;

      if (handler.executionMode === 'callback') {
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
        outcome = normalizeOutcome(result, 'inbound');
        log = {
          direction: 'inbound',
          mode: 'callback',
          rules: [],
          matchedRule: null,
          action: outcome.type,
          note: `callback ${handler.callback}`,
          assignments: [],
          lookups: [],
          records: writes,
        };
      } else {
        const evaluation = evaluateRules(handler.rules, this.scopeOf(event), 'inbound');
        log = evaluation.log;
        outcome = await this.applyRuleAction(evaluation, event, records, writes, deliver);
        log.records = writes;
      }

      return this.applyOutcome(manager, event, handler.maxRetries, outcome as InboundOutcome, log);
    });
    if (queued.length > 0) this.deliveries.enqueueDeliveries(queued);
    return state;
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
        const record = await records.upsert(rule!.targetModel!, lookup, data);
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

  private async applyOutcome(
    manager: EntityManager,
    event: ClaimedEvent,
    maxRetries: number,
    outcome: InboundOutcome,
    log: ExecutionLog,
  ): Promise<string> {
    const matchedRule = log.matchedRule;
    switch (outcome.type) {
      case 'done':
      case 'cancel':
        await this.finish(manager, event.id, { state: 'done', log, matchedRule });
        inboundEventsProcessed.inc({ outcome: 'done' });
        return 'done';
      case 'dead_letter':
        await this.finish(manager, event.id, {
          state: 'dead_letter',
          log,
          matchedRule,
          error: outcome.reason,
        });
        inboundEventsProcessed.inc({ outcome: 'dead_letter' });
        return 'dead_letter';
      case 'retry': {
        if (event.attempts > maxRetries) {
          const reason = `retries exhausted after ${event.attempts} attempts`;
          await this.finish(manager, event.id, {
            state: 'dead_letter',
            log,
            matchedRule,
            error: reason,
          });
          inboundEventsProcessed.inc({ outcome: 'dead_letter' });
          return 'dead_letter';
        }
        await manager.query(
          `UPDATE inbound_events SET state = 'received', due_at = now() + make_interval(secs => $2),
                  lease_until = NULL, execution_log = $3, matched_rule = $4, updated_at = now()
            WHERE id = $1 AND (state = 'processing') IS TRUE`,
          [event.id, outcome.seconds, log, matchedRule],
        );
        await this.retries.scheduleRetry(event.id, event.attempts, outcome.seconds * 1000);
        inboundEventsProcessed.inc({ outcome: 'retry' });
        return 'received';
      }
    }
  }

  private async finish(
    manager: EntityManager,
    eventId: string,
    result: {
      state: string;
      log?: ExecutionLog;
      matchedRule?: string | null;
      error?: string;
      stack?: string | null;
    },
  ): Promise<void> {
    await manager.query(
      `UPDATE inbound_events
          SET state = $2, execution_log = COALESCE($3, execution_log), matched_rule = COALESCE($4, matched_rule),
              error = $5, error_stack = $6, lease_until = NULL, processed_at = now(), updated_at = now()
        WHERE id = $1 AND (state = 'processing') IS TRUE`,
      [
        eventId,
        result.state,
        result.log ?? null,
        result.matchedRule ?? null,
        result.error ?? null,
        result.stack ?? null,
      ],
    );
  }
}
