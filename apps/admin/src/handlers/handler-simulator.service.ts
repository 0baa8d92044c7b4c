import { Injectable, NotFoundException } from '@nestjs/common';
import { DataSource } from 'typeorm';
import {
  applyMutations,
  buildForwardPayload,
  buildRecordData,
  evaluateRules,
  inboundRuleScope,
  isHookgateError,
  outboundRuleScope,
  ProcessingConfigurationError,
  uuidv7,
  type EvaluationScope,
  type ExecutionLog,
  type RuleEvaluation,
} from '@app/core';
import { HandlerCache, type HandlerRuntime } from '@app/persistence';
import { isUuid, requireUuid } from '../common/ids';
import { validationFailure, type FieldProblem } from '../common/validation';
import type { SimulateHandlerDto } from './simulate-handler.dto';

/**
 * The rule simulator (SPEC §11): runs a handler's rules on a request an operator describes
 * and answers the execution log, with no side effects — it only reads (the handler, and an
 * endpoint for defaults). The handler is loaded by the workers' own HandlerCache query and
 * the scope is built by the same core functions (inboundRuleScope/outboundRuleScope) and
 * evaluated by the same evaluateRules, so the log is the one the worker would record.
 * What the worker would then do (write a record, forward, mutate the request) is described
 * under `effects` instead of done; `executionLog.records` stays empty because nothing was
 * written.
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

  constructor(private readonly dataSource: DataSource) {
    this.handlers = new HandlerCache(dataSource, 0);
  }

  async simulate(tenantId: string, id: string, dto: SimulateHandlerDto): Promise<SimulationView> {
    const owned: unknown[] = await this.dataSource.query(
      `SELECT 1 FROM handlers WHERE id = $1 AND tenant_id = $2`,
      [requireUuid(id, 'handler'), tenantId],
    );
    const handler = owned.length > 0 ? await this.handlers.get(id) : null;
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
    const scope =
      handler.direction === 'inbound'
        ? await this.inboundScope(tenantId, handler, dto)
        : await this.outboundScope(tenantId, handler, dto);

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
        handler.direction === 'inbound'
          ? inboundEffects(evaluation, handler, scope.payload)
          : outboundEffects(evaluation, scope.payload),
    };
  }

  private async inboundScope(
    tenantId: string,
    handler: HandlerRuntime,
    dto: SimulateHandlerDto,
  ): Promise<EvaluationScope> {
    let endpointPath = dto.event?.endpointPath;
    if (endpointPath === undefined) {
      const rows: Array<{ path: string }> = await this.dataSource.query(
        `SELECT path FROM inbound_endpoints WHERE tenant_id = $1 AND handler_id = $2 ORDER BY path LIMIT 1`,
        [tenantId, handler.id],
      );
      endpointPath = rows[0]?.path ?? '';
    }
    return inboundRuleScope({
      payload: dto.payload ?? null,
      // Stored events keep header names as Node receives them: lowercase.
      headers: Object.fromEntries(
        Object.entries(dto.headers ?? {}).map(([name, value]) => [name.toLowerCase(), value]),
      ),
      query: dto.query ?? {},
      semantic: dto.semantic ?? {},
      event: {
        id: dto.event?.id ?? uuidv7(),
        receivedAt: dto.event?.receivedAt ? new Date(dto.event.receivedAt) : new Date(),
        endpointPath,
        deliveryIdentity: dto.event?.deliveryIdentity ?? null,
        replayIdentity: dto.event?.replayIdentity ?? null,
        attempts: dto.event?.attempts ?? 1,
      },
    });
  }

  private async outboundScope(
    tenantId: string,
    handler: HandlerRuntime,
    dto: SimulateHandlerDto,
  ): Promise<EvaluationScope> {
    const rows: Array<{ id: string; code: string }> = dto.endpoint
      ? await this.dataSource.query(
          `SELECT id, code FROM outbound_endpoints WHERE tenant_id = $1 AND ${isUuid(dto.endpoint) ? 'id = $2' : 'code = $2'}`,
          [tenantId, dto.endpoint],
        )
      : await this.dataSource.query(
          `SELECT id, code FROM outbound_endpoints WHERE tenant_id = $1 AND handler_id = $2 ORDER BY code LIMIT 1`,
          [tenantId, handler.id],
        );
    if (dto.endpoint && !rows[0]) {
      throw validationFailure([
        { field: 'endpoint', problems: [`no outbound endpoint "${dto.endpoint}" in this tenant`] },
      ]);
    }
    const delivery = dto.delivery ?? {};
    return outboundRuleScope({
      payload: dto.payload ?? null,
      context: dto.context ?? {},
      endpoint: rows[0] ?? { code: '', id: '' },
      delivery: {
        id: delivery.id ?? uuidv7(),
        createdAt: (delivery.createdAt ? new Date(delivery.createdAt) : new Date()).toISOString(),
        eventType: delivery.eventType ?? null,
        idempotencyKey: delivery.idempotencyKey ?? null,
        attempts: delivery.attempts ?? 1,
      },
    });
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

function ruleName(evaluation: RuleEvaluation): string {
  return evaluation.matchedRule?.name ?? '';
}

/** What the inbound worker would do with this evaluation (process-inbound-event.use-case). */
function inboundEffects(
  evaluation: RuleEvaluation,
  handler: HandlerRuntime,
  payload: unknown,
): Record<string, unknown> {
  const rule = evaluation.matchedRule;
  const lookup = evaluation.lookups;
  try {
    switch (evaluation.action) {
      case 'done':
        return { state: 'done' };
      case 'dead_letter':
        return {
          state: 'dead_letter',
          reason:
            evaluation.log.note ??
            (rule ? `rule "${ruleName(evaluation)}" dead-lettered the event` : 'dead-lettered'),
        };
      case 'retry':
        return {
          state: 'received',
          retryInSeconds: rule?.retrySeconds ?? 60,
          maxRetries: handler.maxRetries,
        };
      case 'create_record':
      case 'update_record':
      case 'upsert_record':
        return {
          state: 'done',
          record: {
            model: rule?.targetModel,
            operation: evaluation.action.replace('_record', ''),
            lookup,
            data: buildRecordData(evaluation.assignments),
          },
        };
      case 'forward':
        return {
          state: 'done',
          delivery: {
            endpoint: rule?.forwardTo,
            payload: buildForwardPayload(evaluation, payload),
          },
        };
      case 'send':
      case 'mutate':
      case 'cancel':
        return { state: 'error', error: `action "${evaluation.action}" is outbound-only` };
    }
  } catch (error) {
    if (isHookgateError(error)) return { state: 'error', error: error.reason };
    throw error;
  }
}

/** What the dispatcher would do with this evaluation (send-delivery.use-case). */
function outboundEffects(evaluation: RuleEvaluation, payload: unknown): Record<string, unknown> {
  const name = ruleName(evaluation);
  switch (evaluation.action) {
    case 'send':
      return { state: 'send', payload };
    case 'mutate': {
      try {
        const mutated = applyMutations(payload, {}, evaluation.assignments);
        return { state: 'send', payload: mutated.payload, headers: mutated.headers };
      } catch (error) {
        if (isHookgateError(error)) return { state: 'error', error: error.reason };
        throw error;
      }
    }
    case 'done':
      return { state: 'done' };
    case 'dead_letter':
      return { state: 'dead_letter', reason: `rule "${name}" dead-lettered the delivery` };
    case 'retry':
      return { state: 'queued', retryInSeconds: evaluation.retrySeconds ?? 60 };
    case 'cancel':
      return { state: 'canceled', reason: `rule "${name}" canceled the delivery` };
    case 'create_record':
    case 'update_record':
    case 'upsert_record':
    case 'forward':
      return { state: 'dead_letter', reason: `action "${evaluation.action}" is inbound-only` };
  }
}
