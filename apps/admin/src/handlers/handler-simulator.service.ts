import { Injectable, NotFoundException } from '@nestjs/common';
import { DataSource } from 'typeorm';
import {
  evaluateRules,
  inboundRuleScope,
  isHookgateError,
  NO_RECORD_MATCHED,
  outboundRuleScope,
  planInboundEffects,
  planOutboundEffects,
  ProcessingConfigurationError,
  uuidv7,
  withRetryDefaults,
  type EvaluationScope,
  type ExecutionLog,
  type InboundPlan,
  type InboundPlanInput,
  type OutboundPlan,
  type OutboundPlanInput,
  type RuleEvaluation,
} from '@app/core';
import {
  HandlerCache,
  HandlersRepository,
  InboundEndpointsRepository,
  OutboundEndpointsRepository,
  PostgresRecordStore,
  type HandlerRuntime,
} from '@app/persistence';
import { isUuid, requireUuid } from '../common/ids';
import { validationFailure, type FieldProblem } from '../common/validation';
import type { SimulateHandlerDto } from './simulate-handler.dto';

/**
 * The rule simulator (SPEC §11): runs a handler's rules on a request an operator describes
 * and answers the execution log, with no side effects — it only reads (the handler, an
 * endpoint for defaults and its retry policy, the records an update would match). The
 * handler is loaded by the workers' own HandlerCache query and the scope is built by the
 * same core functions (inboundRuleScope/outboundRuleScope) and evaluated by the same
 * evaluateRules, so the log is the one the worker would record. What the worker would then
 * do is the plan of the workers' own planner (planInboundEffects/planOutboundEffects),
 * reported under `effects` instead of done; `executionLog.records` stays empty because
 * nothing was written.
 */
export interface SimulationView {
  handlerId: string;
  handlerCode: string;
  direction: 'inbound' | 'outbound';
  matchedRule: string | null;
  action: string;
  executionLog: ExecutionLog | null;
  /** The state the item would reach and what applying the action would write or send. */
  effects: Record<string, unknown>;
}

@Injectable()
export class HandlerSimulatorService {
  /** TTL 0: every simulation reads the handler as it is now. */
  private readonly handlers: HandlerCache;

  constructor(
    private readonly dataSource: DataSource,
    private readonly handlerRefs: HandlersRepository,
    private readonly inboundEndpoints: InboundEndpointsRepository,
    private readonly outboundEndpoints: OutboundEndpointsRepository,
  ) {
    this.handlers = new HandlerCache(dataSource, 0);
  }

  async simulate(tenantId: string, id: string, dto: SimulateHandlerDto): Promise<SimulationView> {
    const owned = await this.handlerRefs.findRef(tenantId, { id: requireUuid(id, 'handler') });
    const handler = owned ? await this.handlers.get(id) : null;
    if (!handler) throw new NotFoundException(`handler ${id} not found`);
    if (handler.executionMode !== 'rules') {
      throw validationFailure([
        {
          field: 'handler',
          problems: [
            `handler "${handler.code}" runs the callback "${handler.callback}"; only rules can be simulated (a callback's code may have side effects)`,
          ],
        },
      ]);
    }
    checkFields(handler, dto);
    const target =
      handler.direction === 'inbound'
        ? await this.inboundTarget(tenantId, handler, dto)
        : await this.outboundTarget(tenantId, handler, dto);
    const scope = target.scope;

    let evaluation: RuleEvaluation;
    try {
      evaluation = evaluateRules(handler.rules, scope, handler.direction);
    } catch (error) {
      if (!(error instanceof ProcessingConfigurationError)) throw error;
      // The worker moves such an item to `error` with this message.
      const log = (error.details?.log as ExecutionLog | undefined) ?? null;
      return {
        handlerId: handler.id,
        handlerCode: handler.code,
        direction: handler.direction,
        matchedRule: log?.matchedRule ?? null,
        action: log?.action ?? 'error',
        executionLog: log,
        effects: { state: 'error', error: error.reason },
      };
    }
    return {
      handlerId: handler.id,
      handlerCode: handler.code,
      direction: handler.direction,
      matchedRule: evaluation.log.matchedRule,
      action: evaluation.action,
      executionLog: evaluation.log,
      effects:
        target.direction === 'inbound'
          ? await this.inboundEffects(tenantId, evaluation, target.event)
          : outboundEffects(evaluation, target.delivery),
    };
  }

  /** The inbound plan, as the worker would carry it out (an update matching nothing dead-letters). */
  private async inboundEffects(
    tenantId: string,
    evaluation: RuleEvaluation,
    event: InboundPlanInput,
  ): Promise<Record<string, unknown>> {
    let plan: InboundPlan;
    try {
      plan = planInboundEffects(evaluation, event);
    } catch (error) {
      if (isHookgateError(error)) return { state: 'error', error: error.reason };
      throw error;
    }
    for (const effect of plan.effects) {
      if (effect.kind !== 'write_record' || effect.operation !== 'update') continue;
      const store = new PostgresRecordStore(this.dataSource, tenantId);
      const matches = await store.find(effect.model, effect.lookup);
      if (matches.length === 0) return reportInbound({ ...plan, settlement: NO_RECORD_MATCHED });
    }
    return reportInbound(plan, event.maxRetries);
  }

  private async inboundTarget(
    tenantId: string,
    handler: HandlerRuntime,
    dto: SimulateHandlerDto,
  ): Promise<{ direction: 'inbound'; scope: EvaluationScope; event: InboundPlanInput }> {
    let endpointPath = dto.event?.endpointPath;
    if (endpointPath === undefined) {
      endpointPath = (await this.inboundEndpoints.firstPathOfHandler(tenantId, handler.id)) ?? '';
    }
    const event = {
      id: dto.event?.id ?? uuidv7(),
      payload: dto.payload ?? null,
      attempts: dto.event?.attempts ?? 1,
      maxRetries: handler.maxRetries,
    };
    const scope = inboundRuleScope({
      payload: event.payload,
      // Stored events keep header names as Node receives them: lowercase.
      headers: Object.fromEntries(
        Object.entries(dto.headers ?? {}).map(([name, value]) => [name.toLowerCase(), value]),
      ),
      query: dto.query ?? {},
      semantic: dto.semantic ?? {},
      event: {
        id: event.id,
        receivedAt: dto.event?.receivedAt ? new Date(dto.event.receivedAt) : new Date(),
        endpointPath,
        deliveryIdentity: dto.event?.deliveryIdentity ?? null,
        replayIdentity: dto.event?.replayIdentity ?? null,
        attempts: event.attempts,
      },
    });
    return { direction: 'inbound', scope, event };
  }

  private async outboundTarget(
    tenantId: string,
    handler: HandlerRuntime,
    dto: SimulateHandlerDto,
  ): Promise<{ direction: 'outbound'; scope: EvaluationScope; delivery: OutboundPlanInput }> {
    const endpoint = await this.outboundEndpoints.findRetryTarget(
      tenantId,
      !dto.endpoint
        ? { handlerId: handler.id }
        : isUuid(dto.endpoint)
          ? { id: dto.endpoint }
          : { code: dto.endpoint },
    );
    if (dto.endpoint && !endpoint) {
      throw validationFailure([
        { field: 'endpoint', problems: [`no outbound endpoint "${dto.endpoint}" in this tenant`] },
      ]);
    }
    const delivery = dto.delivery ?? {};
    const scope = outboundRuleScope({
      payload: dto.payload ?? null,
      context: dto.context ?? {},
      endpoint: endpoint ? { code: endpoint.code, id: endpoint.id } : { code: '', id: '' },
      delivery: {
        id: delivery.id ?? uuidv7(),
        createdAt: (delivery.createdAt ? new Date(delivery.createdAt) : new Date()).toISOString(),
        eventType: delivery.eventType ?? null,
        idempotencyKey: delivery.idempotencyKey ?? null,
        attempts: delivery.attempts ?? 1,
      },
    });
    return {
      direction: 'outbound',
      scope,
      delivery: {
        payload: dto.payload ?? null,
        attempts: delivery.attempts ?? 1,
        retryPolicy: withRetryDefaults(endpoint?.retryPolicy),
      },
    };
  }
}

/** Fields of the other direction, and header/query values that are not strings, are 400s. */
function checkFields(handler: HandlerRuntime, dto: SimulateHandlerDto): void {
  const problems: FieldProblem[] = [];
  const foreign =
    handler.direction === 'inbound'
      ? (['context', 'endpoint', 'delivery'] as const)
      : (['headers', 'query', 'semantic', 'event'] as const);
  for (const field of foreign) {
    if (dto[field] !== undefined) {
      problems.push({
        field,
        problems: [`${field} does not apply to an ${handler.direction} handler`],
      });
    }
  }
  for (const field of ['headers', 'query'] as const) {
    for (const [name, value] of Object.entries(dto[field] ?? {})) {
      const ok =
        typeof value === 'string' ||
        (Array.isArray(value) && value.every((item) => typeof item === 'string'));
      if (!ok) {
        problems.push({ field: `${field}.${name}`, problems: ['must be a string or strings'] });
      }
    }
  }
  if (problems.length > 0) throw validationFailure(problems);
}

/** What the inbound worker would do, in the words the simulator has always answered with. */
function reportInbound(plan: InboundPlan, maxRetries?: number): Record<string, unknown> {
  const { settlement } = plan;
  switch (settlement.state) {
    case 'dead_letter':
      return { state: 'dead_letter', reason: settlement.reason };
    case 'received':
      return { state: 'received', retryInSeconds: settlement.retrySeconds, maxRetries };
    case 'done': {
      const report: Record<string, unknown> = { state: 'done' };
      for (const effect of plan.effects) {
        if (effect.kind === 'write_record') {
          const { model, operation, lookup, data } = effect;
          report.record = { model, operation, lookup, data };
        } else {
          report.delivery = { endpoint: effect.endpoint, payload: effect.payload };
        }
      }
      return report;
    }
  }
}

/** What the dispatcher would do with this evaluation: send (what) or settle (how). */
function outboundEffects(
  evaluation: RuleEvaluation,
  delivery: OutboundPlanInput,
): Record<string, unknown> {
  let plan: OutboundPlan;
  try {
    plan = planOutboundEffects(evaluation, delivery);
  } catch (error) {
    if (isHookgateError(error)) return { state: 'error', error: error.reason };
    throw error;
  }
  if (plan.kind === 'send') {
    return plan.headers
      ? { state: 'send', payload: plan.payload, headers: plan.headers }
      : { state: 'send', payload: plan.payload };
  }
  const { settlement } = plan;
  switch (settlement.state) {
    case 'done':
      return { state: 'done' };
    case 'dead_letter':
    case 'canceled':
      return { state: settlement.state, reason: settlement.reason };
    case 'queued':
      return { state: 'queued', retryInSeconds: settlement.retrySeconds };
  }
}
