import type { DataSource, EntityManager, FindOptionsWhere } from 'typeorm';
import type { Rule } from '@app/core/rules/rule.types';
import { HandlerRuleEntity } from '../entities/handler-rule.entity';
import { HandlerEntity, type ExecutionMode } from '../entities/handler.entity';
import { BaseRepository, writeValues } from './base.repository';

/**
 * Handlers and their rules (SPEC §3): one aggregate, `handlers` and `handler_rules`. Rules
 * have no identity of their own: the ordered list is what an admin or a connector
 * template edits, so it is written as a whole.
 */
export type HandlerWithRules = HandlerEntity & { rules: HandlerRuleEntity[] };

/** The columns a handler's owner writes (tenant and direction are fixed at creation). */
export type HandlerFields = Pick<
  HandlerEntity,
  'name' | 'executionMode' | 'callback' | 'active' | 'maxRetries'
>;

export type HandlerRef = { id: string } | { code: string };

export class HandlersRepository extends BaseRepository {
  private get handlers() {
    return this.manager.getRepository(HandlerEntity);
  }

  private get rules() {
    return this.manager.getRepository(HandlerRuleEntity);
  }

  /** A tenant's handlers by code, each with its rules in sequence. */
  listWithRules(tenantId: string): Promise<HandlerWithRules[]> {
    return this.findWithRules({ tenantId });
  }

  /** One handler of a tenant (by id or code) with its rules in sequence, or null. */
  async findOneWithRules(tenantId: string, ref: HandlerRef): Promise<HandlerWithRules | null> {
    const [handler] = await this.findWithRules({ tenantId, ...ref });
    return handler ?? null;
  }

  /** What an endpoint needs to know of the handler a request names. */
  findRef(
    tenantId: string,
    ref: HandlerRef,
  ): Promise<Pick<HandlerEntity, 'id' | 'direction' | 'active'> | null> {
    return this.handlers.findOne({
      select: { id: true, direction: true, active: true },
      where: { tenantId, ...ref },
    });
  }

  /** Locks the handler's row until the caller's transaction ends; false if there is none. */
  async lock(tenantId: string, id: string): Promise<boolean> {
    const row = await this.handlers.findOne({
      select: { id: true },
      where: { id, tenantId },
      lock: { mode: 'pessimistic_write' },
    });
    return row !== null;
  }

  async insert(
    values: HandlerFields & Pick<HandlerEntity, 'tenantId' | 'code' | 'direction'>,
  ): Promise<string> {
    const result = await this.handlers.insert(values);
    return String(result.identifiers[0].id);
  }

  async update(tenantId: string, id: string, values: Partial<HandlerFields>): Promise<void> {
    await this.handlers.update({ id, tenantId }, values);
  }

  /** Writes the handler's rules; with `replace`, its current rules are deleted first. */
  async writeRules(
    handlerId: string,
    rules: Rule[],
    { replace }: { replace: boolean },
  ): Promise<void> {
    if (replace) await this.rules.delete({ handlerId });
    if (rules.length === 0) return;
    await this.rules.insert(
      rules.map((rule) =>
        writeValues<HandlerRuleEntity>({
          handlerId,
          sequence: rule.sequence,
          name: rule.name,
          conditions: rule.conditions ?? [],
          action: rule.action,
          retrySeconds: rule.retrySeconds ?? null,
          targetModel: rule.targetModel ?? null,
          lookups: rule.lookups ?? [],
          assignments: rule.assignments ?? [],
          forwardTo: rule.forwardTo ?? null,
        }),
      ),
    );
  }

  private async findWithRules(where: FindOptionsWhere<HandlerEntity>): Promise<HandlerWithRules[]> {
    const handlers = await this.handlers.find({
      where,
      relations: { rules: true },
      order: { code: 'ASC', rules: { sequence: 'ASC' } },
    });
    return handlers.map((handler) => ({ ...handler, rules: handler.rules ?? [] }));
  }
}

/**
 * A stored rule in the rule engine's shape, its fields in the API's order; absent optional
 * fields are null here (each reader decides how to drop them).
 */
export function ruleOf(row: HandlerRuleEntity): Rule {
  return {
    sequence: row.sequence,
    name: row.name,
    conditions: row.conditions,
    action: row.action,
    retrySeconds: row.retrySeconds,
    targetModel: row.targetModel,
    lookups: row.lookups,
    assignments: row.assignments,
    forwardTo: row.forwardTo,
  } as unknown as Rule;
}

/** A handler as the workers run it (rules nested). */
export interface HandlerRuntime {
  id: string;
  code: string;
  direction: 'inbound' | 'outbound';
  executionMode: ExecutionMode;
  callback: string | null;
  maxRetries: number;
  rules: Rule[];
}

interface HandlerRuntimeRow {
  id: string;
  code: string;
  direction: 'inbound' | 'outbound';
  execution_mode: ExecutionMode;
  callback: string | null;
  max_retries: number;
  rules: Rule[] | null;
}

/**
 * The workers' read of one handler, on the connection given (a worker inside a transaction
 * passes its EntityManager, so a miss does not wait for a second pool connection). Kept
 * as one statement with the rules aggregated in SQL: a cache miss on the hot path costs
 * one round trip and no entity hydration.
 */
export async function loadHandlerRuntime(
  db: Pick<DataSource | EntityManager, 'query'>,
  handlerId: string,
): Promise<HandlerRuntime | null> {
  const rows: HandlerRuntimeRow[] = await db.query(
    `SELECT h.id, h.code, h.direction, h.execution_mode, h.callback, h.max_retries,
            COALESCE((SELECT json_agg(json_build_object(
                       'sequence', r.sequence, 'name', r.name, 'conditions', r.conditions,
                       'action', r.action, 'retrySeconds', r.retry_seconds,
                       'targetModel', r.target_model, 'lookups', r.lookups,
                       'assignments', r.assignments, 'forwardTo', r.forward_to)
                       ORDER BY r.sequence)
                FROM handler_rules r WHERE r.handler_id = h.id), '[]') AS rules
       FROM handlers h WHERE h.id = $1`,
    [handlerId],
  );
  const row = rows[0];
  return row
    ? {
        id: row.id,
        code: row.code,
        direction: row.direction,
        executionMode: row.execution_mode,
        callback: row.callback,
        maxRetries: row.max_retries,
        rules: (row.rules ?? []).map(withoutNullFields),
      }
    : null;
}

/** A rule without its null (absent) top-level fields. */
export function withoutNullFields(rule: Rule): Rule {
  return Object.fromEntries(Object.entries(rule).filter(([, v]) => v !== null)) as unknown as Rule;
}
