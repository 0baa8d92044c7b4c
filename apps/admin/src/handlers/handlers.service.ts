import { Inject, Injectable, NotFoundException } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { validateRulesAt, type HandlerRegistry, type Rule } from '@app/core';
import { writeHandlerRules } from './handler-rules';
import { HANDLER_REGISTRY } from '@app/platform';
import { AuditService } from '../audit/audit.service';
import { ConfigChangePublisher } from '../common/config-change.publisher';
import { isUuid, requireUuid } from '../common/ids';
import { conflictOnDuplicate } from '../common/pg-errors';
import type { Queryable } from '../common/queryable';
import { validationFailure } from '../common/validation';
import type { CreateHandlerDto, UpdateHandlerDto } from './handler.dto';

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

type Row = Record<string, unknown>;

const SELECT_HANDLER = `
  SELECT h.*, COALESCE((SELECT json_agg(json_strip_nulls(json_build_object(
              'sequence', r.sequence, 'name', r.name, 'conditions', r.conditions, 'action', r.action,
              'retrySeconds', r.retry_seconds, 'targetModel', r.target_model, 'lookups', r.lookups,
              'assignments', r.assignments, 'forwardTo', r.forward_to)) ORDER BY r.sequence)
            FROM handler_rules r WHERE r.handler_id = h.id), '[]') AS rules
    FROM handlers h`;

@Injectable()
export class HandlersService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly changes: ConfigChangePublisher,
    private readonly audit: AuditService,
    @Inject(HANDLER_REGISTRY) private readonly registry: HandlerRegistry,
  ) {}

  async list(tenantId: string): Promise<HandlerView[]> {
    const rows: Row[] = await this.dataSource.query(
      `${SELECT_HANDLER} WHERE h.tenant_id = $1 ORDER BY h.code`,
      [tenantId],
    );
    return rows.map(toView);
  }

  async get(tenantId: string, id: string, db: Queryable = this.dataSource): Promise<HandlerView> {
    const rows: Row[] = await db.query(`${SELECT_HANDLER} WHERE h.id = $1 AND h.tenant_id = $2`, [
      requireUuid(id, 'handler'),
      tenantId,
    ]);
    if (!rows[0]) throw new NotFoundException(`handler ${id} not found`);
    return toView(rows[0]);
  }

  async create(tenantId: string, dto: CreateHandlerDto): Promise<HandlerView> {
    const rules = await this.checkedRules(tenantId, dto.rules, dto.direction);
    this.checkCallback(dto.direction, dto.executionMode, dto.callback);
    const id = await conflictOnDuplicate(
      () =>
        this.dataSource.transaction(async (manager) => {
          const [row]: Array<{ id: string }> = await manager.query(
            `INSERT INTO handlers (tenant_id, code, name, direction, execution_mode, callback, active, max_retries)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
            [
              tenantId,
              dto.code,
              dto.name,
              dto.direction,
              dto.executionMode,
              dto.executionMode === 'callback' ? (dto.callback ?? null) : null,
              dto.active ?? true,
              dto.maxRetries ?? 5,
            ],
          );
          await writeHandlerRules(manager, row.id, rules, { replace: false });
          await this.audit.record(manager, null, {
            action: 'handler.create',
            entityType: 'handler',
            entityId: row.id,
            after: await this.get(tenantId, row.id, manager),
          });
          return row.id;
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
      await manager.query(
        `UPDATE handlers SET name = $3, execution_mode = $4, callback = $5, active = $6, max_retries = $7, updated_at = now()
          WHERE id = $1 AND tenant_id = $2`,
        [
          id,
          tenantId,
          dto.name,
          dto.executionMode,
          dto.executionMode === 'callback' ? (dto.callback ?? null) : null,
          dto.active ?? current.active,
          dto.maxRetries ?? current.maxRetries,
        ],
      );
      await writeHandlerRules(manager, id, rules, { replace: true });
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
      await manager.query(
        `UPDATE handlers SET active = false, updated_at = now() WHERE id = $1 AND tenant_id = $2`,
        [id, tenantId],
      );
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
    const rows: Array<{ id: string; direction: string; active: boolean }> =
      await this.dataSource.query(
        `SELECT id, direction, active FROM handlers WHERE tenant_id = $1 AND ${isUuid(ref) ? 'id = $2' : 'code = $2'} LIMIT 1`,
        [tenantId, ref],
      );
    return rows[0] ?? null;
  }

  /** The handler as it is before a change, its row locked until the change commits. */
  private async lockedView(
    manager: EntityManager,
    tenantId: string,
    id: string,
  ): Promise<HandlerView> {
    await manager.query(`SELECT 1 FROM handlers WHERE id = $1 AND tenant_id = $2 FOR UPDATE`, [
      id,
      tenantId,
    ]);
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
        byField(
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
      const rows: Array<{ code: string }> = await this.dataSource.query(
        `SELECT code FROM outbound_endpoints
          WHERE tenant_id = $1 AND ${isUuid(rule.forwardTo) ? 'id = $2' : 'code = $2'} LIMIT 1`,
        [tenantId, rule.forwardTo],
      );
      if (!rows[0]) {
        problems.push({
          field: `rules.${index}.forwardTo`,
          problem: `forwardTo "${rule.forwardTo}" is not an outbound endpoint of this tenant`,
        });
      } else resolved.push({ ...rule, forwardTo: rows[0].code });
    }
    if (problems.length > 0) throw validationFailure(byField(problems));
    return resolved;
  }
}

function toView(row: Row): HandlerView {
  return {
    id: String(row.id),
    code: String(row.code),
    name: String(row.name),
    direction: row.direction as HandlerView['direction'],
    executionMode: row.execution_mode as HandlerView['executionMode'],
    callback: (row.callback as string | null) ?? null,
    active: Boolean(row.active),
    maxRetries: Number(row.max_retries),
    rules: row.rules as Rule[],
    createdAt: new Date(row.created_at as string).toISOString(),
    updatedAt: new Date(row.updated_at as string).toISOString(),
  };
}

/**
 * Rule problems as the validation answer lists them: one entry per field, named down to
 * the rule and its part (`rules.1.conditions.0.operator`), so a form shows each message on
 * the input it concerns.
 */
function byField(
  problems: Array<{ field: string; problem: string }>,
): Array<{ field: string; problems: string[] }> {
  const fields = new Map<string, string[]>();
  for (const { field, problem } of problems)
    fields.set(field, [...(fields.get(field) ?? []), problem]);
  return [...fields].map(([field, list]) => ({ field, problems: list }));
}
