import { redactHeaders, redactUrl } from '@app/core';
import { ConflictException, Injectable, NotFoundException } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { DeliveryQueue } from '@app/messaging';
import { DeliveryIntake, type DeliveryRequest, type IntakeResult } from '@app/outbound';
import type { DeliveryState } from '@app/persistence';
import { AuditService } from '../audit/audit.service';
import { isUuid, requireUuid } from '../common/ids';
import { afterCursor, toPage, type Page } from '../common/pagination';
import { rowsOf } from '../common/pg-errors';
import { toTimestamp, validationFailure } from '../common/validation';
import type {
  CreateDeliveryDto,
  DeliveryFilter,
  ListDeliveriesQuery,
  PublishEventDto,
  ReplayDeliveriesDto,
} from './delivery.dto';

/**
 * Outbound deliveries as services publish them and operators see and act on them (SPEC §5).
 * Publishing goes through the same DeliveryIntake as the `outbound-requests` queue, rows
 * first, send jobs after the commit. Every operator transition is one conditional UPDATE,
 * so two operators (or an operator and the dispatcher) racing on one delivery cannot both
 * win; the loser gets 409 with the state it found. `processing` belongs to the dispatcher
 * and is never a source state here. Operator actions are audited (state before and after,
 * never the payload), each transition in its own transaction.
 */
export interface DeliverySummary {
  id: string;
  endpointId: string | null;
  endpointCode: string;
  eventType: string | null;
  state: DeliveryState;
  context: Record<string, string>;
  idempotencyKey: string | null;
  isTest: boolean;
  sourceEventId: string | null;
  /** HTTP attempts made so far (the detail view lists them as `attempts`). */
  attemptCount: number;
  nextAttemptAt: string | null;
  lastError: string | null;
  responseStatus: number | null;
  createdAt: string;
  updatedAt: string;
  completedAt: string | null;
}

/** What a publish answers: the delivery as stored, and whether it already existed. */
export interface DeliveryView extends DeliverySummary {
  payload: unknown;
  duplicate?: boolean;
}

export interface DeliveryAttemptView {
  attemptNumber: number;
  outcome: string;
  startedAt: string;
  finishedAt: string | null;
  durationMs: number | null;
  request: unknown;
  responseStatus: number | null;
  responseHeaders: Record<string, unknown> | null;
  responseBody: string | null;
  error: string | null;
  errorClass: string | null;
}

export interface DeliveryDetail extends DeliveryView {
  errorStack: string | null;
  /** The attempt log, oldest first. */
  attempts: DeliveryAttemptView[];
}

type Row = Record<string, unknown>;
const iso = (value: unknown): string | null =>
  value ? new Date(value as string).toISOString() : null;

const TRANSITIONS = {
  reset: { from: ['error', 'dead_letter', 'canceled'], to: 'draft' },
  queue: { from: ['draft'], to: 'queued' },
  'dead-letter': { from: ['draft', 'queued', 'error'], to: 'dead_letter' },
  cancel: { from: ['draft', 'queued', 'error', 'dead_letter'], to: 'canceled' },
} as const;
export type DeliveryAction = keyof typeof TRANSITIONS;

const ENQUEUE_CHUNK = 1000;

@Injectable()
export class DeliveriesService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly intake: DeliveryIntake,
    private readonly queue: DeliveryQueue,
    private readonly audit: AuditService,
  ) {}

  /** One delivery to one endpoint (the `deliver` job). Unknown/archived → a dead_letter row. */
  async deliver(
    tenantId: string,
    dto: CreateDeliveryDto,
    options: { isTest?: boolean } = {},
  ): Promise<DeliveryView> {
    if (dto.connector !== undefined) await this.checkConnectorId(tenantId, dto.connector);
    const request: DeliveryRequest = {
      ...(dto.connector !== undefined
        ? { endpoint: '', connector: { connector: dto.connector, suffix: dto.suffix ?? '' } }
        : { endpoint: await this.endpointCode(tenantId, dto.endpoint ?? '') }),
      payload: dto.payload,
      context: dto.context,
      idempotencyKey: dto.idempotencyKey,
      isTest: options.isTest ?? false,
    };
    const result = await this.intake.deliver(tenantId, request);
    await this.enqueueAccepted([result]);
    const [view] = await this.accepted(tenantId, [result]);
    return view;
  }

  /** Fan-out (the `publish` job): one delivery per subscribed endpoint, all or none. */
  async publish(tenantId: string, dto: PublishEventDto): Promise<{ deliveries: DeliveryView[] }> {
    const results = await this.dataSource.transaction((manager) =>
      this.intake.publish(
        tenantId,
        {
          eventType: dto.eventType,
          payload: dto.payload,
          context: dto.context,
          idempotencyKey: dto.idempotencyKey,
        },
        manager,
      ),
    );
    await this.enqueueAccepted(results);
    return { deliveries: await this.accepted(tenantId, results) };
  }

  async list(tenantId: string, query: ListDeliveriesQuery): Promise<Page<DeliverySummary>> {
    const limit = query.limit ?? 50;
    const { where, params } = this.filter(tenantId, query);
    const after = afterCursor(query.cursor, params, { time: 'd.created_at', id: 'd.id' });
    if (after) where.push(after);
    params.push(limit + 1);
    const rows: Row[] = await this.dataSource.query(
      `SELECT d.id, d.endpoint_id, d.endpoint_code, d.event_type, d.state, d.context, d.idempotency_key, d.is_test,
              d.source_event_id, d.attempts, d.next_attempt_at, d.last_error, d.response_status, d.created_at,
              d.updated_at, d.completed_at
         FROM deliveries d
        WHERE ${where.join(' AND ')}
        ORDER BY d.created_at DESC, d.id DESC
        LIMIT $${params.length}`,
      params,
    );
    return toPage(rows, limit, toSummary, (row) => ({
      at: iso(row.created_at)!,
      id: String(row.id),
    }));
  }

  /** One delivery with its attempt log, oldest attempt first. */
  async get(tenantId: string, id: string): Promise<DeliveryDetail> {
    const rows: Row[] = await this.dataSource.query(
      `SELECT * FROM deliveries WHERE id = $1 AND tenant_id = $2`,
      [requireUuid(id, 'delivery'), tenantId],
    );
    if (!rows[0]) throw new NotFoundException(`delivery ${id} not found`);
    const attempts: Row[] = await this.dataSource.query(
      `SELECT * FROM delivery_attempts WHERE delivery_id = $1 ORDER BY attempt_number`,
      [id],
    );
    return {
      ...toView(rows[0]),
      errorStack: (rows[0].error_stack as string | null) ?? null,
      attempts: attempts.map(toAttemptView),
    };
  }

  /**
   * reset / queue / dead-letter / cancel one delivery. A terminal state set by an operator
   * says so in `lastError`; what failed before stays in the attempt log.
   */
  async act(tenantId: string, id: string, action: DeliveryAction): Promise<DeliveryDetail> {
    const transition = TRANSITIONS[action];
    const updated = await this.dataSource.transaction(async (manager) => {
      // The state it had, read in the same statement as the change (the old row's values).
      const rows = rowsOf<{ id: string; attempts: number; state: string; previous_state: string }>(
        await manager.query(
          `UPDATE deliveries d
              SET state = $3, lease_until = NULL, updated_at = now(),
                  next_attempt_at = CASE WHEN $3 = 'queued' THEN now() END,
                  completed_at = CASE WHEN $3 IN ('dead_letter', 'canceled') THEN now() END,
                  last_error = CASE WHEN $3 = 'dead_letter' THEN 'dead-lettered by an operator'
                                    WHEN $3 = 'canceled' THEN 'canceled by an operator'
                                    ELSE d.last_error END
             FROM (SELECT id, state FROM deliveries WHERE id = $1 AND tenant_id = $2 FOR UPDATE) old
            WHERE d.id = old.id AND d.state = ANY($4)
            RETURNING d.id, d.attempts, d.state, old.state AS previous_state`,
          [requireUuid(id, 'delivery'), tenantId, transition.to, transition.from],
        ),
      );
      if (rows[0]) {
        await this.audit.record(manager, null, {
          action: `delivery.${action}`,
          entityType: 'delivery',
          entityId: id,
          before: { state: rows[0].previous_state },
          after: { state: rows[0].state },
        });
      }
      return rows;
    });
    if (updated.length === 0) {
      const current = await this.get(tenantId, id);
      throw new ConflictException({
        message: `cannot ${action} a delivery in state "${current.state}" (allowed from: ${transition.from.join(', ')})`,
        details: { currentState: current.state },
      });
    }
    if (transition.to === 'queued') await this.enqueue(updated);
    return this.get(tenantId, id);
  }

  /**
   * Sends matching error/dead_letter (or canceled) deliveries again: `queued` when their
   * endpoint is active, `draft` (held) when it is a draft. Deliveries whose endpoint is
   * archived or gone are left alone — they would only dead-letter again. A dry run only
   * counts them (changing nothing, auditing nothing), so an operator can be told how many
   * before confirming.
   */
  async replay(
    tenantId: string,
    dto: ReplayDeliveriesDto,
  ): Promise<{ replayed: number } | { matched: number }> {
    const { dryRun, ...filter } = dto;
    const { where, params } = this.replayable(tenantId, filter);
    if (dryRun) {
      const [row] = rowsOf<{ matched: number }>(
        await this.dataSource.query(
          `SELECT count(*)::int AS matched FROM deliveries d WHERE ${where.join(' AND ')}`,
          params,
        ),
      );
      return { matched: row?.matched ?? 0 };
    }
    let total = 0;
    // In batches, so a large replay never holds one long lock over rows the dispatcher needs.
    for (;;) {
      const rows = rowsOf<{ id: string; state: string; attempts: number }>(
        await this.dataSource.query(
          `UPDATE deliveries AS t
              SET state = CASE WHEN e.state = 'active' THEN 'queued' ELSE 'draft' END,
                  next_attempt_at = CASE WHEN e.state = 'active' THEN now() END,
                  lease_until = NULL, completed_at = NULL, updated_at = now()
             FROM outbound_endpoints e
            WHERE e.id = t.endpoint_id
              AND t.id IN (SELECT d.id FROM deliveries d WHERE ${where.join(' AND ')}
                            LIMIT 1000 FOR UPDATE SKIP LOCKED)
            RETURNING t.id, t.state, t.attempts`,
          params,
        ),
      );
      if (rows.length === 0) break;
      await this.enqueue(rows.filter((row) => row.state === 'queued'));
      total += rows.length;
    }
    await this.audit.record(null, null, {
      action: 'delivery.replay',
      entityType: 'delivery',
      entityId: null,
      after: { filter, replayed: total },
    });
    return { replayed: total };
  }

  /** The deliveries a replay by `filter` sends again: one definition for the count and the act. */
  private replayable(
    tenantId: string,
    filter: Omit<ReplayDeliveriesDto, 'dryRun'>,
  ): { where: string[]; params: unknown[] } {
    const { where, params } = this.filter(tenantId, { ...filter, state: undefined });
    params.push(filter.state ? [filter.state] : ['error', 'dead_letter']);
    where.push(`d.state = ANY($${params.length})`);
    where.push(
      `EXISTS (SELECT 1 FROM outbound_endpoints e WHERE e.id = d.endpoint_id AND e.state <> 'archived')`,
    );
    return { where, params };
  }

  /** Enqueues committed `queued` deliveries; the dispatcher's reconciler covers a failure. */
  async enqueue(rows: Array<{ id: string; attempts?: number }>): Promise<void> {
    for (let i = 0; i < rows.length; i += ENQUEUE_CHUNK) {
      await this.queue.enqueue(rows.slice(i, i + ENQUEUE_CHUNK));
    }
  }

  private async enqueueAccepted(results: IntakeResult[]): Promise<void> {
    await this.enqueue(
      results.filter((r) => r.state === 'queued' && !r.duplicate).map((r) => ({ id: r.id })),
    );
  }

  private async accepted(tenantId: string, results: IntakeResult[]): Promise<DeliveryView[]> {
    if (results.length === 0) return [];
    const rows: Row[] = await this.dataSource.query(
      `SELECT * FROM deliveries WHERE tenant_id = $1 AND id = ANY($2::uuid[])`,
      [tenantId, results.map((r) => r.id)],
    );
    const byId = new Map(rows.map((row) => [String(row.id), row]));
    return results.flatMap((result) => {
      const row = byId.get(result.id);
      return row ? [{ ...toView(row), duplicate: result.duplicate }] : [];
    });
  }

  /**
   * Bodies name endpoints by code; an id is accepted too and turned into its code. An
   * unknown code is the contract's dead_letter delivery, but an id that names no endpoint
   * of this tenant (another tenant's, or none) is a 400: ids are never guessed at.
   */
  private async endpointCode(tenantId: string, ref: string): Promise<string> {
    if (!isUuid(ref)) return ref;
    const rows: Array<{ code: string }> = await this.dataSource.query(
      `SELECT code FROM outbound_endpoints WHERE tenant_id = $1 AND id = $2`,
      [tenantId, ref],
    );
    if (!rows[0]) {
      throw validationFailure([
        { field: 'endpoint', problems: [`no outbound endpoint ${ref} in this tenant`] },
      ]);
    }
    return rows[0].code;
  }

  /** Like endpoint ids: a connector id that is not this tenant's is a 400, not a dead letter. */
  private async checkConnectorId(tenantId: string, ref: string): Promise<void> {
    if (!isUuid(ref)) return;
    const rows: unknown[] = await this.dataSource.query(
      `SELECT 1 FROM connectors WHERE tenant_id = $1 AND id = $2`,
      [tenantId, ref],
    );
    if (rows.length === 0) {
      throw validationFailure([
        { field: 'connector', problems: [`no connector ${ref} in this tenant`] },
      ]);
    }
  }

  private filter(tenantId: string, filter: DeliveryFilter): { where: string[]; params: unknown[] } {
    const where = ['d.tenant_id = $1'];
    const params: unknown[] = [tenantId];
    const add = (sql: (n: number) => string, value: unknown) => {
      params.push(value);
      where.push(sql(params.length));
    };
    if (filter.state) add((n) => `d.state = $${n}`, filter.state);
    if (filter.endpoint) {
      add(
        (n) => (isUuid(filter.endpoint!) ? `d.endpoint_id = $${n}` : `d.endpoint_code = $${n}`),
        filter.endpoint,
      );
    }
    if (filter.eventType) add((n) => `d.event_type = $${n}`, filter.eventType);
    if (filter.idempotencyKey !== undefined) {
      add((n) => `d.idempotency_key = $${n}`, filter.idempotencyKey);
    }
    if (filter.sourceEventId) add((n) => `d.source_event_id = $${n}`, filter.sourceEventId);
    if (filter.isTest !== undefined) add((n) => `d.is_test = $${n}`, filter.isTest);
    if (filter.from) add((n) => `d.created_at >= $${n}`, toTimestamp(filter.from));
    if (filter.to) add((n) => `d.created_at < $${n}`, toTimestamp(filter.to));
    return { where, params };
  }
}

function toSummary(row: Row): DeliverySummary {
  return {
    id: String(row.id),
    endpointId: (row.endpoint_id as string | null) ?? null,
    endpointCode: String(row.endpoint_code),
    eventType: (row.event_type as string | null) ?? null,
    state: row.state as DeliveryState,
    context: (row.context as Record<string, string> | null) ?? {},
    idempotencyKey: (row.idempotency_key as string | null) ?? null,
    isTest: Boolean(row.is_test),
    sourceEventId: (row.source_event_id as string | null) ?? null,
    attemptCount: Number(row.attempts ?? 0),
    nextAttemptAt: iso(row.next_attempt_at),
    lastError: (row.last_error as string | null) ?? null,
    responseStatus: (row.response_status as number | null) ?? null,
    createdAt: iso(row.created_at)!,
    updatedAt: iso(row.updated_at)!,
    completedAt: iso(row.completed_at),
  };
}

function toView(row: Row): DeliveryView {
  return { ...toSummary(row), payload: row.payload ?? null };
}

function toAttemptView(row: Row): DeliveryAttemptView {
  return {
    attemptNumber: Number(row.attempt_number),
    outcome: String(row.outcome),
    startedAt: iso(row.started_at)!,
    finishedAt: iso(row.finished_at),
    durationMs: (row.duration_ms as number | null) ?? null,
    // Redacted when stored too (see request-snapshot.ts); again here for rows stored
    // before that, so no key ever reads a credential back (issue 21).
    request: redactSnapshot(row.request),
    responseStatus: (row.response_status as number | null) ?? null,
    responseHeaders: redactHeaders(
      (row.response_headers as Record<string, unknown> | null) ?? null,
    ),
    responseBody: (row.response_body as string | null) ?? null,
    error: (row.error as string | null) ?? null,
    errorClass: (row.error_class as string | null) ?? null,
  };
}

/** A stored request snapshot with its credential headers and query values redacted. */
function redactSnapshot(request: unknown): unknown {
  if (request === null || request === undefined) return null;
  if (typeof request !== 'object' || Array.isArray(request)) return request;
  const snapshot = request as { headers?: unknown; url?: unknown };
  return {
    ...snapshot,
    ...(snapshot.headers !== undefined ? { headers: redactHeaders(snapshot.headers) } : {}),
    ...(typeof snapshot.url === 'string' ? { url: redactUrl(snapshot.url) } : {}),
  };
}
