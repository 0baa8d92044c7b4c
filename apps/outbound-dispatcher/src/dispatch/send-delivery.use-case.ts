import type { DataSource, EntityManager } from 'typeorm';
import {
  applyMutations,
  deliveryEventFields,
  escapeTemplate,
  attemptsExhausted,
  buildOutboundRequest,
  classifyHttpOutcome,
  parseRetryAfter,
  type SendResult,
  evaluateRules,
  isHookgateError,
  nextRetryDelaySeconds,
  normalizeOutcome,
  ProcessingConfigurationError,
  outboundRuleScope,
  redactHeaders,
  storableJsonText,
  storableText,
  storableTextOrNull,
  type HandlerRegistry,
  type OutboundRequest,
  type Outcome,
  type RequestSpec,
  type Rule,
} from '@app/core';
import type { ConnectorDelivery, ConnectorKind, ConnectorRuntime } from '@app/connectors';
import {
  MicroBatcher,
  outboundAttemptDuration,
  outboundDeliveriesFinished,
  outboundDeliveriesPostponed,
} from '@app/platform';
import { rowsOf } from '@app/persistence';
import type { OutboundEndpointCache, OutboundEndpointRuntime } from './outbound-endpoint-cache';
import type { RateLimiter } from './rate-limiter';
import type { EndpointSlots } from './endpoint-slots';
import { snapshotRequest, type RequestSnapshot } from './request-snapshot';

/**
 * Sends one delivery (SPEC §5 pipeline): claim with a lease → endpoint state, in-flight
 * cap and rate gates → connector gate → handler (rules, callback, or the connector kind's delivery
 * hook) → build the request (connector base URL and extra headers on top) → send → one
 * transaction that writes the attempt row and the delivery's next state → endpoint health.
 *
 * Every write after the claim is guarded by `state = 'processing' AND attempts = n`, so a
 * worker that lost its lease (and whose delivery was handed out again) cannot overwrite
 * the newer attempt's outcome.
 */
export interface DeliveryRow {
  id: string;
  tenant_id: string;
  endpoint_id: string | null;
  endpoint_code: string;
  event_type: string | null;
  payload: unknown;
  context: Record<string, string>;
  idempotency_key: string | null;
  attempts: number;
  created_at: Date;
}

export interface Sender {
  send(request: OutboundRequest, options: { timeoutMs: number }): Promise<SendResult>;
}

export interface OutboundHandlerSource {
  get(handlerId: string): Promise<{
    executionMode: 'rules' | 'callback';
    callback: string | null;
    rules: Rule[];
  } | null>;
}

export interface SendScheduler {
  /**
   * Enqueue the delivery's next attempt (its job id carries the attempt count). `rerun`:
   * the delivery was put back without using an attempt, so the job id must differ from
   * the running job's.
   */
  schedule(deliveryId: string, attempts: number, delayMs: number, rerun?: boolean): Promise<void>;
}

/** A linked endpoint's connector and kind (SPEC §7). */
export interface ConnectorLookup {
  /** Null when the connector row is gone; throws a RegistryError for an unknown kind. */
  resolve(
    connectorId: string,
  ): Promise<{ connector: ConnectorRuntime; kind: ConnectorKind } | null>;
}

interface Linked {
  connector: ConnectorRuntime;
  kind: ConnectorKind;
  delivery: ConnectorDelivery;
}

/** What the request is built from: the endpoint's spec, adjusted by its connector. */
interface Shape {
  spec: RequestSpec;
  connectorHeaders?: Record<string, string>;
}

export interface EndpointHealthRecorder {
  record(
    endpoint: OutboundEndpointRuntime,
    result: { ok: boolean; status?: number },
  ): Promise<void>;
}

/** The delivery facts request building and rules read (`{kind:"event"}` sources, signing). */
function deliveryFacts(delivery: DeliveryRow) {
  return {
    id: delivery.id,
    createdAt: new Date(delivery.created_at),
    eventType: delivery.event_type,
    idempotencyKey: delivery.idempotency_key,
  };
}

type Final = 'done' | 'queued' | 'error' | 'dead_letter' | 'canceled' | 'draft';

/**
 * The id goes through the primary key. `(state = 'queued') IS TRUE` rather than
 * `state = 'queued'`: with the plain form the planner may pick the partial index of queued
 * deliveries (`deliveries_next_attempt_idx`) and filter it for the id, O(backlog) per
 * claim once that index has grown past its statistics. The IS TRUE form does not match a
 * partial index's predicate; the finish statement uses it for `processing` likewise.
 */
const CLAIM_SQL = `
  UPDATE deliveries d SET state = 'processing', attempts = d.attempts + 1,
         lease_until = now() + make_interval(secs => $2), updated_at = now()
    FROM unnest($1::uuid[]) AS claim(id)
   WHERE d.id = claim.id AND (d.state = 'queued') IS TRUE
     AND (d.next_attempt_at IS NULL OR d.next_attempt_at <= now())
  RETURNING d.id, d.tenant_id, d.endpoint_id, d.endpoint_code, d.event_type, d.payload, d.context,
            d.idempotency_key, d.attempts, d.created_at`;

/** One attempt and the delivery's move out of `processing`, as {@link recordAttempts} writes it. */
interface AttemptRecord {
  finish: { sql: string; params: unknown[] };
  attempt: unknown[];
}

/**
 * The attempt rows and the deliveries' outcomes of a batch in one statement, so one round
 * trip and atomic: an attempt row is written only where the guarded UPDATE found this
 * worker's claim. Columns as {@link finishStatement}'s parameters, then the attempt's.
 */
const RECORD_ATTEMPTS_SQL = `
  WITH input AS (
    SELECT * FROM unnest($1::uuid[], $2::int[], $3::text[], $4::int[], $5::text[], $6::text[],
                         $7::float8[], $8::int[], $9::bool[], $10::uuid[], $11::uuid[],
                         $12::timestamptz[], $13::int[], $14::jsonb[], $15::jsonb[], $16::text[],
                         $17::text[], $18::text[], $19::text[])
      AS i(id, attempts, state, unclaim, error, stack, delay_seconds, response_status, terminal,
           tenant_id, endpoint_id, started_at, duration_ms, request, response_headers,
           response_body, attempt_error, error_class, outcome)),
  finished AS (
    UPDATE deliveries d
       SET state = i.state,
           attempts = d.attempts - i.unclaim,
           last_error = COALESCE(i.error, CASE WHEN i.state = 'done' THEN NULL ELSE d.last_error END),
           error_stack = i.stack,
           next_attempt_at = CASE WHEN i.state = 'queued' THEN now() + make_interval(secs => i.delay_seconds) ELSE NULL END,
           response_status = COALESCE(i.response_status, d.response_status),
           lease_until = NULL,
           completed_at = CASE WHEN i.terminal THEN now() ELSE NULL END,
           updated_at = now()
      FROM input i
     WHERE d.id = i.id AND (d.state = 'processing') IS TRUE AND d.attempts = i.attempts
    RETURNING d.id)
  INSERT INTO delivery_attempts (delivery_id, tenant_id, endpoint_id, attempt_number, started_at, finished_at,
                                 duration_ms, request, response_status, response_headers, response_body,
                                 error, error_class, outcome)
  SELECT i.id, i.tenant_id, i.endpoint_id, i.attempts, i.started_at, now(), i.duration_ms, i.request,
         i.response_status, i.response_headers, i.response_body, i.attempt_error, i.error_class, i.outcome
    FROM finished f JOIN input i ON i.id = f.id
  ON CONFLICT (delivery_id, attempt_number) DO NOTHING`;

export interface DispatchBatchOptions {
  /** Most deliveries claimed, or attempts recorded, in one statement. */
  maxBatch: number;
  /** Statements of each kind running at once. */
  maxInFlight: number;
}

export class SendDelivery {
  private readonly claims: MicroBatcher<string, DeliveryRow | null>;
  private readonly attempts: MicroBatcher<AttemptRecord, PromiseSettledResult<void>>;

  constructor(
    private readonly dataSource: DataSource,
    private readonly endpoints: OutboundEndpointCache,
    private readonly handlers: OutboundHandlerSource,
    private readonly registry: HandlerRegistry,
    private readonly sender: Sender,
    private readonly rateLimiter: RateLimiter,
    private readonly scheduler: SendScheduler,
    private readonly health: EndpointHealthRecorder,
    private readonly connectors: ConnectorLookup,
    private readonly leaseSeconds: number,
    private readonly slots: EndpointSlots,
    private readonly random: () => number = Math.random,
    batchOptions: DispatchBatchOptions = { maxBatch: 64, maxInFlight: 2 },
  ) {
    // Deliveries the worker runs concurrently share their claim and their attempt-logging
    // statements (see MicroBatcher); each still waits for its own row's commit.
    this.claims = new MicroBatcher((ids) => this.claim(ids), batchOptions);
    this.attempts = new MicroBatcher((records) => this.recordAttempts(records), batchOptions);
  }

  async execute(deliveryId: string): Promise<Final | null> {
    const delivery = await this.claims.submit(deliveryId);
    if (!delivery) return null;
    try {
      return await this.run(delivery);
    } catch (error) {
      // Anything unexpected (a bug, Postgres failing mid-way): the item goes to `error`
      // with the stack, never silently back to the queue in a loop.
      await this.finish(this.dataSource.manager, delivery, 'error', {
        error: error instanceof Error ? error.message : String(error),
        stack: error instanceof Error ? (error.stack ?? null) : null,
      });
      outboundDeliveriesFinished.inc({ outcome: 'error' });
      return 'error';
    }
  }

  private async claim(ids: string[]): Promise<Array<DeliveryRow | null>> {
    const result: unknown = await this.dataSource.query(CLAIM_SQL, [
      [...new Set(ids)],
      this.leaseSeconds,
    ]);
    const rows = rowsOf<DeliveryRow>(result);
    const byId = new Map(rows.map((row) => [row.id, row]));
    // A delivery asked for twice in one batch is claimed once: only its first asker runs it.
    return ids.map((id) => {
      const row = byId.get(id) ?? null;
      byId.delete(id);
      return row;
    });
  }

  /**
   * One statement for the batch; if it fails, each record is written on its own, and each
   * caller gets its own record's result: one bad row cannot fail (or unschedule) the others.
   */
  private async recordAttempts(records: AttemptRecord[]): Promise<PromiseSettledResult<void>[]> {
    if (records.length > 1) {
      try {
        const column = (i: number) =>
          records.map((r) => (i < 9 ? r.finish.params[i] : r.attempt[i - 9]));
        await this.dataSource.query(
          RECORD_ATTEMPTS_SQL,
          Array.from({ length: 19 }, (_, i) => column(i)),
        );
        return records.map(() => ({ status: 'fulfilled', value: undefined }));
      } catch {
        // fall through: one statement per record
      }
    }
    return Promise.allSettled(
      records.map(async (r) => {
        await this.dataSource.query(
          `WITH finished AS (${r.finish.sql} RETURNING id)
           INSERT INTO delivery_attempts (delivery_id, tenant_id, endpoint_id, attempt_number, started_at, finished_at,
                                          duration_ms, request, response_status, response_headers, response_body,
                                          error, error_class, outcome)
           SELECT id, $10, $11, $2, $12, now(), $13, $14, $8, $15, $16, $17, $18, $19 FROM finished
           ON CONFLICT (delivery_id, attempt_number) DO NOTHING`,
          [...r.finish.params, ...r.attempt],
        );
      }),
    );
  }

  private async run(delivery: DeliveryRow): Promise<Final> {
    const endpoint = delivery.endpoint_id ? await this.endpoints.get(delivery.endpoint_id) : null;
    if (!endpoint || endpoint.state === 'archived') {
      return this.settle(delivery, 'dead_letter', {
        error: `outbound endpoint "${delivery.endpoint_code}" is archived or gone`,
        unclaim: true,
      });
    }
    if (endpoint.state === 'draft' || endpoint.disabled) return this.hold(delivery, endpoint.id);
    // Over the endpoint's in-flight cap (and the endpoint slow to answer): back to the
    // queue, so a slow sink holds at most its cap of slots and other endpoints keep flowing.
    const slot = await this.slots.acquire(endpoint.id);
    if (!slot) {
      outboundDeliveriesPostponed.inc({ reason: 'endpoint_concurrency' });
      await this.release(delivery, this.slots.postponeMs(endpoint.id));
      return 'queued';
    }
    try {
      if (endpoint.rateLimitPerSecond) {
        const waitMs = await this.rateLimiter.acquire(endpoint.id, endpoint.rateLimitPerSecond);
        if (waitMs > 0) {
          outboundDeliveriesPostponed.inc({ reason: 'rate_limit' });
          await this.release(delivery, waitMs);
          return 'queued';
        }
      }
      return await this.send(delivery, endpoint);
    } finally {
      slot.release();
    }
  }

  /** Handler, request building, the HTTP exchange and its recording, in one endpoint slot. */
  private async send(delivery: DeliveryRow, endpoint: OutboundEndpointRuntime): Promise<Final> {
    let payload = delivery.payload;
    let outcome: Outcome = { type: 'send' };
    let request: OutboundRequest;
    try {
      const linked = await this.linkedConnector(endpoint, delivery);
      if (linked) {
        const gate = await linked.kind.checkDispatchAllowed(linked.connector, linked.delivery);
        if (gate && gate.type !== 'send') return this.applyHandlerOutcome(delivery, endpoint, gate);
      }
      const shape = this.shapeOf(endpoint, linked);
      if (endpoint.handlerId) {
        const decided = await this.runHandler(endpoint, delivery, shape);
        outcome = decided.outcome;
        payload = decided.payload;
      } else if (linked?.kind.handleOutboundDelivery) {
        const result = await linked.kind.handleOutboundDelivery(linked.connector, {
          delivery: this.callbackView(endpoint, delivery),
          request: this.build(shape, delivery, delivery.payload),
          log: () => undefined,
        });
        outcome = normalizeOutcome(result, 'outbound');
      }
      if (outcome.type !== 'send') return this.applyHandlerOutcome(delivery, endpoint, outcome);
      request = outcome.request ?? this.build(shape, delivery, payload);
    } catch (error) {
      if (!isHookgateError(error)) throw error;
      // Configuration that cannot produce a request: not retried, the reason recorded.
      await this.recordAttemptAndFinish(delivery, endpoint, null, 'error', {
        error: error.reason,
        errorClass: 'configuration',
      });
      return 'error';
    }

    const signing = endpoint.spec.signing;
    const snapshot = snapshotRequest(
      request,
      endpoint.spec.auth,
      signing.type === 'hmac' ? [signing.header] : [],
    );
    const started = new Date();
    const sent = await this.sender.send(request, { timeoutMs: endpoint.timeoutMs });
    const verdict = classifyHttpOutcome(sent);
    outboundAttemptDuration.observe({ outcome: verdict }, sent.durationMs / 1000);
    await this.health.record(endpoint, {
      ok: verdict === 'success',
      status: sent.ok ? sent.status : undefined,
    });

    if (verdict === 'success') {
      await this.recordAttemptAndFinish(
        delivery,
        endpoint,
        { snapshot, sent, started },
        'done',
        {},
      );
      return 'done';
    }
    const reason = sent.ok ? `HTTP ${sent.status}` : `${sent.errorClass}: ${sent.error}`;
    if (verdict === 'error') {
      await this.recordAttemptAndFinish(delivery, endpoint, { snapshot, sent, started }, 'error', {
        error: reason,
      });
      return 'error';
    }
    if (attemptsExhausted(endpoint.retryPolicy, delivery.attempts)) {
      await this.recordAttemptAndFinish(
        delivery,
        endpoint,
        { snapshot, sent, started },
        'dead_letter',
        {
          error: `gave up after ${delivery.attempts} attempts; last: ${reason}`,
        },
      );
      return 'dead_letter';
    }
    const retryAfter = sent.ok ? parseRetryAfter(sent.headers['retry-after'], new Date()) : null;
    const delaySeconds = nextRetryDelaySeconds(
      endpoint.retryPolicy,
      delivery.attempts,
      retryAfter,
      this.random,
    );
    await this.recordAttemptAndFinish(delivery, endpoint, { snapshot, sent, started }, 'queued', {
      error: reason,
      delaySeconds,
    });
    await this.scheduler.schedule(delivery.id, delivery.attempts, Math.round(delaySeconds * 1000));
    return 'queued';
  }

  /** The connector of a linked endpoint, with the delivery as its kind's hooks see it. */
  private async linkedConnector(
    endpoint: OutboundEndpointRuntime,
    delivery: DeliveryRow,
  ): Promise<Linked | null> {
    if (!endpoint.connectorId) return null;
    const found = await this.connectors.resolve(endpoint.connectorId);
    if (!found) {
      throw new ProcessingConfigurationError(
        `connector ${endpoint.connectorId} of endpoint "${endpoint.code}" no longer exists`,
      );
    }
    return {
      ...found,
      delivery: { ...this.callbackView(endpoint, delivery), codeSuffix: endpoint.codeSuffix },
    };
  }

  /**
   * A linked endpoint with a blank targetHost takes its kind's base URL; the kind's extra
   * headers go on top of header rules and endpoint auth (connector auth always wins).
   */
  private shapeOf(endpoint: OutboundEndpointRuntime, linked: Linked | null): Shape {
    if (!linked) return { spec: endpoint.spec };
    const targetHost =
      endpoint.spec.targetHost ||
      linked.kind.outboundBaseUrl(linked.connector, linked.delivery) ||
      '';
    return {
      spec: { ...endpoint.spec, targetHost },
      connectorHeaders: linked.kind.outboundExtraHeaders(linked.connector, linked.delivery),
    };
  }

  private build(
    shape: Shape,
    delivery: DeliveryRow,
    payload: unknown,
    spec: RequestSpec = shape.spec,
  ): OutboundRequest {
    return buildOutboundRequest({
      spec,
      payload,
      context: delivery.context ?? {},
      delivery: deliveryFacts(delivery),
      connectorHeaders: shape.connectorHeaders,
      now: new Date(),
    });
  }

  private callbackView(endpoint: OutboundEndpointRuntime, delivery: DeliveryRow) {
    return {
      id: delivery.id,
      endpointCode: endpoint.code,
      eventType: delivery.event_type,
      payload: delivery.payload,
      context: delivery.context ?? {},
      attempts: delivery.attempts,
      idempotencyKey: delivery.idempotency_key,
    };
  }

  private async runHandler(
    endpoint: OutboundEndpointRuntime,
    delivery: DeliveryRow,
    shape: Shape,
  ): Promise<{ outcome: Outcome; payload: unknown }> {
    const handler = await this.handlers.get(endpoint.handlerId!);
    if (!handler) return { outcome: { type: 'send' }, payload: delivery.payload };
    if (handler.executionMode === 'callback') {
      const callback = this.registry.getOutbound(handler.callback ?? '');
      const result = await callback({
        delivery: this.callbackView(endpoint, delivery),
        request: this.build(shape, delivery, delivery.payload),
        log: () => undefined,
      });
      return { outcome: normalizeOutcome(result, 'outbound'), payload: delivery.payload };
    }
    const evaluation = evaluateRules(
      handler.rules,
      outboundRuleScope({
        payload: delivery.payload,
        context: delivery.context ?? {},
        endpoint: { code: endpoint.code, id: endpoint.id },
        delivery: { ...deliveryEventFields(deliveryFacts(delivery)), attempts: delivery.attempts },
      }),
      'outbound',
    );
    switch (evaluation.action) {
      case 'send':
        return { outcome: { type: 'send' }, payload: delivery.payload };
      case 'mutate': {
        const mutated = applyMutations(delivery.payload, {}, evaluation.assignments);
        const headerRules = Object.entries(mutated.headers).map(([name, value]) => ({
          name,
          // Values are already evaluated data: escape braces so they are not re-templated.
          value: escapeTemplate(String(value)),
        }));
        const spec = {
          ...shape.spec,
          headerRules: [...shape.spec.headerRules, ...headerRules],
        };
        const request = this.build(shape, delivery, mutated.payload, spec);
        return { outcome: { type: 'send', request }, payload: mutated.payload };
      }
      case 'done':
        return {
          outcome: { type: 'done', note: `rule "${evaluation.matchedRule?.name}"` },
          payload: delivery.payload,
        };
      case 'dead_letter':
        return {
          outcome: {
            type: 'dead_letter',
            reason: `rule "${evaluation.matchedRule?.name}" dead-lettered the delivery`,
          },
          payload: delivery.payload,
        };
      case 'retry':
        return {
          outcome: { type: 'retry', seconds: evaluation.retrySeconds ?? 60 },
          payload: delivery.payload,
        };
      case 'cancel':
        return {
          outcome: {
            type: 'cancel',
            reason: `rule "${evaluation.matchedRule?.name}" canceled the delivery`,
          },
          payload: delivery.payload,
        };
      case 'create_record':
      case 'update_record':
      case 'upsert_record':
      case 'forward':
        return {
          outcome: { type: 'dead_letter', reason: `action "${evaluation.action}" is inbound-only` },
          payload: delivery.payload,
        };
    }
  }

  private async applyHandlerOutcome(
    delivery: DeliveryRow,
    endpoint: OutboundEndpointRuntime,
    outcome: Outcome,
  ): Promise<Final> {
    switch (outcome.type) {
      case 'send':
        throw new Error('unreachable: send is handled by the caller');
      case 'done':
        return this.settle(delivery, 'done', { error: null });
      case 'dead_letter':
        return this.settle(delivery, 'dead_letter', { error: outcome.reason });
      case 'cancel':
        return this.settle(delivery, 'canceled', {
          error: outcome.reason ?? 'canceled by the handler',
        });
      case 'retry': {
        if (attemptsExhausted(endpoint.retryPolicy, delivery.attempts)) {
          return this.settle(delivery, 'dead_letter', {
            error: `retries exhausted after ${delivery.attempts} attempts`,
          });
        }
        await this.finish(this.dataSource.manager, delivery, 'queued', {
          delaySeconds: outcome.seconds,
        });
        await this.scheduler.schedule(delivery.id, delivery.attempts, outcome.seconds * 1000);
        return 'queued';
      }
    }
  }

  /** Final state without an HTTP attempt; `unclaim` gives the attempt count back. */
  private async settle(
    delivery: DeliveryRow,
    state: Final,
    options: { error?: string | null; unclaim?: boolean },
  ): Promise<Final> {
    await this.finish(this.dataSource.manager, delivery, state, {
      error: options.error ?? null,
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
  private async hold(delivery: DeliveryRow, endpointId: string): Promise<Final> {
    const held = await this.dataSource.transaction(async (manager) => {
      const rows: Array<{ state: string; disabled: boolean }> = await manager.query(
        `SELECT state, disabled_at IS NOT NULL AS disabled FROM outbound_endpoints WHERE id = $1 FOR SHARE`,
        [endpointId],
      );
      const endpoint = rows[0];
      const stillHeld = !endpoint || endpoint.state === 'draft' || endpoint.disabled;
      await this.finish(manager, delivery, stillHeld ? 'draft' : 'queued', { unclaim: true });
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

  /** Rate-limited: back to `queued` for later, not counted as an attempt. */
  private async release(delivery: DeliveryRow, waitMs: number): Promise<void> {
    await this.finish(this.dataSource.manager, delivery, 'queued', {
      delaySeconds: waitMs / 1000,
      unclaim: true,
    });
    await this.scheduler.schedule(delivery.id, delivery.attempts - 1, waitMs, true);
  }

  private async recordAttemptAndFinish(
    delivery: DeliveryRow,
    endpoint: OutboundEndpointRuntime,
    exchange: { snapshot: RequestSnapshot; sent: SendResult; started: Date } | null,
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
  }

  private async finish(
    manager: EntityManager,
    delivery: DeliveryRow,
    state: Final,
    options: FinishOptions,
  ): Promise<void> {
    const { sql, params } = finishStatement(delivery, state, options);
    await manager.query(sql, params);
  }
}

interface FinishOptions {
  error?: string | null;
  stack?: string | null;
  delaySeconds?: number;
  unclaim?: boolean;
  responseStatus?: number | null;
}

/**
 * The delivery's move out of `processing`, guarded by `attempts = n` so a worker that lost
 * its lease cannot overwrite a newer attempt's outcome. Parameters $1–$9.
 */
function finishStatement(
  delivery: DeliveryRow,
  state: Final,
  options: FinishOptions,
): { sql: string; params: unknown[] } {
  const terminal = ['done', 'error', 'dead_letter', 'canceled'].includes(state);
  return {
    sql: `UPDATE deliveries
          SET state = $3,
              attempts = attempts - $4::int,
              last_error = COALESCE($5, CASE WHEN $3 = 'done' THEN NULL ELSE last_error END),
              error_stack = $6,
              next_attempt_at = CASE WHEN $3 = 'queued' THEN now() + make_interval(secs => $7) ELSE NULL END,
              response_status = COALESCE($8, response_status),
              lease_until = NULL,
              completed_at = CASE WHEN $9 THEN now() ELSE NULL END,
              updated_at = now()
        WHERE id = $1 AND (state = 'processing') IS TRUE AND attempts = $2`,
    params: [
      delivery.id,
      delivery.attempts,
      state,
      options.unclaim ? 1 : 0,
      // Errors quote what failed: a sink's answer, an exception's message.
      storableTextOrNull(options.error),
      storableTextOrNull(options.stack),
      options.delaySeconds ?? 0,
      options.responseStatus ?? null,
      terminal,
    ],
  };
}
