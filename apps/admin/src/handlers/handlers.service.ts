import { Inject, Injectable, NotFoundException } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { validateRulesAt, type HandlerRegistry, type Rule } from '@app/core';
import {
  HandlersRepository,
  OutboundEndpointsRepository,
  ruleOf,
  type HandlerWithRules,
} from '@app/persistence';
import { HANDLER_REGISTRY } from '@app/platform';
import { AuditService } from '../audit/audit.service';
import { ConfigChangePublisher } from '../common/config-change.publisher';
import { isUuid, requireUuid } from '../common/ids';
import { conflictOnDuplicate } from '../common/pg-errors';
import { problemsByField, validationFailure } from '../common/validation';
import type { CreateHandlerDto, UpdateHandlerDto } from './handler.dto';
import { SaveHandler } from './save-handler.use-case';

/**
 * Handlers and their rules (SPEC §3). Rules are rows, answered nested, replaced as a whole
 * on update. DELETE archives: archived handlers stay visible on history but cannot be
 * chosen for new endpoints. A rule's `forwardTo` must name an outbound endpoint of the same
 * tenant (by code, or by id, stored as its code). Every change is audited in its transaction.
 */
export interface HandlerView {
  id: string;
  code: string;
  name: string;
  direction: 'inbound' | 'outbound';
  executionMode: 'rules' | 'callback';
  callback: string | null;
  active: boolean;
  maxRetries: number;
  rules: Rule[];
  createdAt: string;
  updatedAt: string;
}

@Injectable()
export class HandlersService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly handlers: HandlersRepository,
    private readonly endpoints: OutboundEndpointsRepository,
    private readonly saveHandler: SaveHandler,
    private readonly changes: ConfigChangePublisher,
    private readonly audit: AuditService,
    @Inject(HANDLER_REGISTRY) private readonly registry: HandlerRegistry,
  ) {}

  async list(tenantId: string): Promise<HandlerView[]> {
    return (await this.handlers.listWithRules(tenantId)).map(toView);
  }

  async get(tenantId: string, id: string, manager?: EntityManager): Promise<HandlerView> {
    const handler = await this.handlers
      .in(manager)
      .findOneWithRules(tenantId, { id: requireUuid(id, 'handler') });
    if (!handler) throw new NotFoundException(`handler ${id} not found`);
    return toView(handler);
  }

  async create(tenantId: string, dto: CreateHandlerDto): Promise<HandlerView> {
    const rules = await this.checkedRules(tenantId, dto.rules, dto.direction);
    this.checkCallback(dto.direction, dto.executionMode, dto.callback);
    const id = await conflictOnDuplicate(
      () =>
        this.dataSource.transaction(async (manager) => {
          const id = await this.saveHandler.execute(manager, {
            tenantId,
            code: dto.code,
            direction: dto.direction,
            fields: {
              name: dto.name,
              executionMode: dto.executionMode,
              callback: dto.callback ?? null,
              active: dto.active ?? true,
              maxRetries: dto.maxRetries ?? 5,
            },
            rules,
          });
          await this.audit.record(manager, null, {
            action: 'handler.create',
            entityType: 'handler',
            entityId: id,
            after: await this.get(tenantId, id, manager),
          });
          return id;
        }),
      `a handler with code "${dto.code}" already exists`,
    );
    return this.get(tenantId, id);
  }

  async update(tenantId: string, id: string, dto: UpdateHandlerDto): Promise<HandlerView> {
    const current = await this.get(tenantId, id);
    const rules = await this.checkedRules(tenantId, dto.rules, current.direction);
    this.checkCallback(current.direction, dto.executionMode, dto.callback);
    await this.dataSource.transaction(async (manager) => {
      const before = await this.lockedView(manager, tenantId, id);
      await this.saveHandler.execute(manager, {
        tenantId,
        id,
        code: current.code,
        direction: current.direction,
        fields: {
          name: dto.name,
          executionMode: dto.executionMode,
          callback: dto.callback ?? null,
          // From the row as locked, not the earlier read: an archive committed meanwhile stays.
          active: dto.active ?? before.active,
          maxRetries: dto.maxRetries ?? before.maxRetries,
        },
        rules,
      });
      await this.audit.record(manager, null, {
        action: 'handler.update',
        entityType: 'handler',
        entityId: id,
        before,
        after: await this.get(tenantId, id, manager),
      });
    });
    await this.changes.announce({ entity: 'handler', id });
    return this.get(tenantId, id);
  }

  async archive(tenantId: string, id: string): Promise<HandlerView> {
    await this.get(tenantId, id);
    await this.dataSource.transaction(async (manager) => {
      const before = await this.lockedView(manager, tenantId, id);
      await this.handlers.in(manager).update(tenantId, id, { active: false });
      await this.audit.record(manager, null, {
        action: 'handler.archive',
        entityType: 'handler',
        entityId: id,
        before,
        after: await this.get(tenantId, id, manager),
      });
    });
    await this.changes.announce({ entity: 'handler', id });
    return this.get(tenantId, id);
  }

  /** Resolves a handler reference from a request body: an id or a code of this tenant. */
  async resolveRef(
    tenantId: string,
    ref: string,
  ): Promise<{ id: string; direction: string; active: boolean } | null> {
    return this.handlers.findRef(tenantId, isUuid(ref) ? { id: ref } : { code: ref });
  }

  /** The handler as it is before a change, its row locked until the change commits. */
  private async lockedView(
    manager: EntityManager,
    tenantId: string,
    id: string,
  ): Promise<HandlerView> {
    await this.handlers.in(manager).lock(tenantId, id);
    return this.get(tenantId, id, manager);
  }

  private checkCallback(
    direction: 'inbound' | 'outbound',
    mode: 'rules' | 'callback',
    callback?: string,
  ): void {
    if (mode !== 'callback') return;
    if (!callback || !this.registry.has(direction, callback)) {
      const known = this.registry.names(direction);
      throw validationFailure([
        {
          field: 'callback',
          problems: [
            `no ${direction} callback "${callback ?? ''}" is registered (registered: ${known.join(', ') || 'none'})`,
          ],
        },
      ]);
    }
  }

  private async checkedRules(
    tenantId: string,
    rules: CreateHandlerDto['rules'],
    direction: 'inbound' | 'outbound',
  ): Promise<Rule[]> {
    const list = (rules ?? []).map((r) => ({ ...r, conditions: r.conditions ?? [] })) as Rule[];
    const problems = validateRulesAt(list, direction);
    if (problems.length > 0) {
      throw validationFailure(
        problemsByField(
          problems.map((found) => ({
            field: ['rules', found.index, found.field]
              .filter((p) => p !== undefined && p !== '')
              .join('.'),
            problem: found.problem,
          })),
        ),
      );
    }
    return this.resolveForwardTargets(tenantId, list);
  }

  /**
   * `forwardTo` names an outbound endpoint of this tenant, by code or id (stored as the
   * code, which is what the worker publishes to). Another tenant's endpoint, or none, is a
   * 400: forwarding never crosses tenants.
   */
  private async resolveForwardTargets(tenantId: string, rules: Rule[]): Promise<Rule[]> {
    const problems: Array<{ field: string; problem: string }> = [];
    const resolved: Rule[] = [];
    for (const [index, rule] of rules.entries()) {
      if (!rule.forwardTo) {
        resolved.push(rule);
        continue;
      }
      const code = await this.endpoints.findCode(
        tenantId,
        isUuid(rule.forwardTo) ? { id: rule.forwardTo } : { code: rule.forwardTo },
      );
      if (code === null) {
        problems.push({
          field: `rules.${index}.forwardTo`,
          problem: `forwardTo "${rule.forwardTo}" is not an outbound endpoint of this tenant`,
        });
      } else resolved.push({ ...rule, forwardTo: code });
    }
    if (problems.length > 0) throw validationFailure(problemsByField(problems));
    return resolved;
  }
}

function toView(handler: HandlerWithRules): HandlerView {
  return {
    id: handler.id,
    code: handler.code,
    name: handler.name,
    direction: handler.direction,
    executionMode: handler.executionMode,
    callback: handler.callback,
    active: handler.active,
    maxRetries: handler.maxRetries,
    rules: handler.rules.map((rule) => withoutNulls(ruleOf(rule))),
    createdAt: handler.createdAt.toISOString(),
    updatedAt: handler.updatedAt.toISOString(),
  };
}

/**
 * Rule problems as the validation answer lists them: one entry per field, named down to
 * the rule and its part (`rules.1.conditions.0.operator`), so a form shows each message on
 * the input it concerns.
 */
/** Rules answer without null fields, at any depth (what `json_strip_nulls` did). */
function withoutNulls<T>(value: T): T {
  if (Array.isArray(value)) return value.map(withoutNulls) as T;
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([, v]) => v !== null)
      .map(([k, v]) => [k, withoutNulls(v)]),
  ) as T;
}
