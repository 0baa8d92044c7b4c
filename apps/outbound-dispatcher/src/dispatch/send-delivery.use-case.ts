import {
  attemptsExhausted,
  classifyHttpOutcome,
  deliveryEventFields,
  evaluateRules,
  isHookgateError,
  nextRetryDelaySeconds,
  normalizeOutcome,
  outboundRuleScope,
  parseRetryAfter,
  planOutboundEffects,
  planOutboundOutcome,
  type HandlerRegistry,
  type OutboundPlan,
  type OutboundPlanInput,
  systemClock,
  type Clock,
  type OutboundRequest,
  type UnitOfWork,
} from '@app/core';
import { MicroBatcher, outboundAttemptDuration, outboundDeliveriesPostponed } from '@app/platform';
import type {
  DeliveryRow,
  DispatcherEndpointsRepository,
  Final,
  WorkerTransaction,
} from '@app/persistence';
import type { OutboundEndpointCache, OutboundEndpointRuntime } from './outbound-endpoint-cache';
import type { RateLimiter } from './rate-limiter';
import type { EndpointSlots } from './endpoint-slots';
import { snapshotRequest } from './request-snapshot';
import {
  buildDeliveryRequest,
  callbackView,
  deliveryFacts,
  linkedConnector,
  shapeOf,
  type Linked,
  type Shape,
} from './delivery-request';
import { OutboundEffectExecutor, type SendScheduler } from './outbound-effects.executor';
import type {
  ConnectorLookup,
  DispatchBatchOptions,
  EndpointHealthRecorder,
  OutboundHandlerSource,
  Sender,
} from './send-delivery.ports';

/**
 * Sends one delivery (SPEC §5 pipeline): claim with a lease → endpoint state, in-flight
 * cap and rate gates → connector gate → handler (rules, callback, or the connector kind's delivery
 * hook) → build the request (connector base URL and extra headers on top) → send → one
 * transaction that writes the attempt row and the delivery's next state → endpoint health.
 *
 * What a handler's decision does is planned in libs/core (planOutboundEffects,
 * planOutboundOutcome); ./outbound-effects.executor carries it out. Every write after the
 * claim is guarded by `state = 'processing' AND attempts = n`, so a worker that lost its
 * lease (and whose delivery was handed out again) cannot overwrite the newer attempt's
 * outcome.
 */
export class SendDelivery {
  private readonly claims: MicroBatcher<string, DeliveryRow | null>;
  private readonly effects: OutboundEffectExecutor;

  constructor(
    private readonly unitOfWork: UnitOfWork<WorkerTransaction>,
    dispatcherEndpoints: DispatcherEndpointsRepository,
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
    private readonly clock: Clock = systemClock,
  ) {
    // Deliveries the worker runs concurrently share their claim statement (see
    // MicroBatcher); each still waits for its own row's commit.
    this.claims = new MicroBatcher((ids) => this.claim(ids), batchOptions);
    this.effects = new OutboundEffectExecutor(
      unitOfWork,
      dispatcherEndpoints,
      scheduler,
      endpoints,
      batchOptions,
    );
  }

  async execute(deliveryId: string): Promise<Final | null> {
    const delivery = await this.claims.submit(deliveryId);
    if (!delivery) return null;
    try {
      return await this.run(delivery);
    } catch (error) {
      // Anything unexpected (a bug, Postgres failing mid-way): the item goes to `error`
      // with the stack, never silently back to the queue in a loop.
      return this.effects.settle(delivery, 'error', {
        error: error instanceof Error ? error.message : String(error),
        stack: error instanceof Error ? (error.stack ?? null) : null,
      });
    }
  }

  private async claim(ids: string[]): Promise<Array<DeliveryRow | null>> {
    const rows = await this.unitOfWork.outside.deliveries.claim(
      [...new Set(ids)],
      this.leaseSeconds,
    );
    const byId = new Map(rows.map((row) => [row.id, row]));
    // A delivery asked for twice in one batch is claimed once: only its first asker runs it.
    return ids.map((id) => {
      const row = byId.get(id) ?? null;
      byId.delete(id);
      return row;
    });
  }

  private async run(delivery: DeliveryRow): Promise<Final> {
    const endpoint = delivery.endpoint_id ? await this.endpoints.get(delivery.endpoint_id) : null;
    if (!endpoint || endpoint.state === 'archived') {
      return this.effects.settle(delivery, 'dead_letter', {
        error: `outbound endpoint "${delivery.endpoint_code}" is archived or gone`,
        unclaim: true,
      });
    }
    if (endpoint.state === 'draft' || endpoint.disabled) {
      return this.effects.hold(delivery, endpoint.id);
    }
    // Over the endpoint's in-flight cap (and the endpoint slow to answer): back to the
    // queue, so a slow sink holds at most its cap of slots and other endpoints keep flowing.
    const slot = await this.slots.acquire(endpoint.id);
    if (!slot) {
      outboundDeliveriesPostponed.inc({ reason: 'endpoint_concurrency' });
      await this.effects.release(delivery, this.slots.postponeMs(endpoint.id));
      return 'queued';
    }
    try {
      if (endpoint.rateLimitPerSecond) {
        const waitMs = await this.rateLimiter.acquire(endpoint.id, endpoint.rateLimitPerSecond);
        if (waitMs > 0) {
          outboundDeliveriesPostponed.inc({ reason: 'rate_limit' });
          await this.effects.release(delivery, waitMs);
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
    let request: OutboundRequest;
    try {
      const linked = await linkedConnector(this.connectors, endpoint, delivery);
      const input: OutboundPlanInput = {
        payload: delivery.payload,
        attempts: delivery.attempts,
        retryPolicy: endpoint.retryPolicy,
      };
      const gate = linked
        ? await linked.kind.checkDispatchAllowed(linked.connector, linked.delivery)
        : null;
      const gated = gate && gate.type !== 'send' ? planOutboundOutcome(gate, input) : null;
      if (gated?.kind === 'settle') return this.effects.applySettlement(delivery, gated.settlement);
      const shape = shapeOf(endpoint, linked);
      // A deliver request's files (delivery_files) are read only when a body can carry them.
      if (shape.spec.bodyMode === 'multipart') {
        shape.files = await this.unitOfWork.outside.deliveries.files(delivery.id);
      }
      const plan = await this.plan(endpoint, delivery, shape, linked, input);
      if (plan.kind === 'settle') return this.effects.applySettlement(delivery, plan.settlement);
      request = plan.request ?? buildDeliveryRequest(shape, delivery, plan.payload, plan.headers);
    } catch (error) {
      if (!isHookgateError(error)) throw error;
      // Configuration that cannot produce a request: not retried, the reason recorded.
      await this.effects.recordAttemptAndFinish(delivery, endpoint, null, 'error', {
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
    const started = this.clock.now();
    const sent = await this.sender.send(request, { timeoutMs: endpoint.timeoutMs });
    const verdict = classifyHttpOutcome(sent);
    outboundAttemptDuration.observe({ outcome: verdict }, sent.durationMs / 1000);
    await this.health.record(endpoint, {
      ok: verdict === 'success',
      status: sent.ok ? sent.status : undefined,
    });

    // The attempt row and the delivery's next state, in one guarded statement.
    const record = async (state: Final, options: { error?: string; delaySeconds?: number }) => {
      const exchange = { snapshot, sent, started };
      await this.effects.recordAttemptAndFinish(delivery, endpoint, exchange, state, options);
      return state;
    };
    if (verdict === 'success') return record('done', {});
    const reason = sent.ok ? `HTTP ${sent.status}` : `${sent.errorClass}: ${sent.error}`;
    if (verdict === 'error') return record('error', { error: reason });
    if (attemptsExhausted(endpoint.retryPolicy, delivery.attempts)) {
      const error = `gave up after ${delivery.attempts} attempts; last: ${reason}`;
      return record('dead_letter', { error });
    }
    const retryAfter = sent.ok
      ? parseRetryAfter(sent.headers['retry-after'], this.clock.now())
      : null;
    const delaySeconds = nextRetryDelaySeconds(
      endpoint.retryPolicy,
      delivery.attempts,
      retryAfter,
      this.random,
    );
    await record('queued', { error: reason, delaySeconds });
    await this.scheduler.schedule(delivery.id, delivery.attempts, Math.round(delaySeconds * 1000));
    return 'queued';
  }

  /**
   * What the endpoint's handler, or else its connector kind's delivery hook, decides: a
   * plan from libs/core. No handler and no hook: send the payload as it is.
   */
  private async plan(
    endpoint: OutboundEndpointRuntime,
    delivery: DeliveryRow,
    shape: Shape,
    linked: Linked | null,
    input: OutboundPlanInput,
  ): Promise<OutboundPlan> {
    const send: OutboundPlan = { kind: 'send', payload: delivery.payload };
    if (endpoint.handlerId) {
      const handler = await this.handlers.get(endpoint.handlerId);
      if (!handler) return send;
      if (handler.executionMode === 'callback') {
        const name = handler.callback ?? '';
        const callback = this.registry.getOutbound(name);
        const result = await named(`outbound callback "${name}"`, () =>
          callback({
            delivery: callbackView(endpoint, delivery),
            request: buildDeliveryRequest(shape, delivery, delivery.payload),
            log: () => undefined,
          }),
        );
        return planOutboundOutcome(normalizeOutcome(result, 'outbound'), input);
      }
      const scope = outboundRuleScope({
        payload: delivery.payload,
        context: delivery.context ?? {},
        endpoint: { code: endpoint.code, id: endpoint.id },
        delivery: { ...deliveryEventFields(deliveryFacts(delivery)), attempts: delivery.attempts },
      });
      return planOutboundEffects(evaluateRules(handler.rules, scope, 'outbound'), input);
    }
    if (linked?.kind.handleOutboundDelivery) {
      const hook = linked.kind.handleOutboundDelivery.bind(linked.kind);
      const result = await named(`connector kind "${linked.kind.name}"`, () =>
        hook(linked.connector, {
          delivery: callbackView(endpoint, delivery),
          request: buildDeliveryRequest(shape, delivery, delivery.payload),
          log: () => undefined,
        }),
      );
      return planOutboundOutcome(normalizeOutcome(result, 'outbound'), input);
    }
    return send;
  }
}

/**
 * Runs team code (a callback, a kind's hook). Something it throws that is not one of ours
 * ends the delivery in `error` (SPEC §3) — with the culprit named in the error and the
 * original stack kept, so the operator sees whose code failed, not a bare message.
 */
async function named<T>(who: string, run: () => T | Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (isHookgateError(error)) throw error;
    const failure = new Error(
      `${who} threw: ${error instanceof Error ? error.message : String(error)}`,
    );
    failure.stack = error instanceof Error ? (error.stack ?? failure.stack) : failure.stack;
    throw failure;
  }
}
