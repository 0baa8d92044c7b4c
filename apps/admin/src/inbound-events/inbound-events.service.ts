import { redactHeaders, redactQuery, redactUrl } from '@app/core';
import { ConflictException, Injectable, NotFoundException } from '@nestjs/common';
import { InjectQueue } from '@nestjs/bullmq';
import type { Queue } from 'bullmq';
import { DataSource } from 'typeorm';
import {
  InboundEventsJob,
  itemJobId,
  QueueName,
  type ProcessInboundEventJob,
} from '@app/messaging';
import { AuditService } from '../audit/audit.service';
import { afterCursor, toPage, type Page } from '../common/pagination';
import { toTimestamp } from '../common/validation';
import { isUuid, requireUuid } from '../common/ids';
import { rowsOf } from '../common/pg-errors';
import type {
  InboundEventFilter,
  ListInboundEventsQuery,
  ReprocessInboundEventsDto,
} from './inbound-events.dto';

/**
 * Inbound events as operators see and act on them (SPEC §4 states). Every transition is
 * one conditional UPDATE, so two operators (or an operator and the worker) racing on one
 * event cannot both win; the loser gets 409 with the state it found. Each action is audited
 * (state before and after, never the payload), in the transition's transaction.
 */
export interface InboundEventView {
  id: string;
  endpointId: string;
  endpointPath: string;
  state: string;
  method: string;
  url: string;
  headers: Record<string, unknown>;
  query: Record<string, unknown>;
  contentType: string | null;
  payload: unknown;
  rawBody: { base64: string; bytes: number };
  bodySize: number | null;
  bodySha256: string | null;
  semantic: Record<string, unknown>;
  deliveryIdentity: string | null;
  replayIdentity: string | null;
  duplicateCount: number;
  lastDuplicateAt: string | null;
  rejectReason: string | null;
  matchedRule: string | null;
  executionLog: unknown;
  error: { message: string; stack: string | null } | null;
  attempts: number;
  dueAt: string | null;
  receivedAt: string;
  processedAt: string | null;
  updatedAt: string;
}

export type InboundEventSummary = Omit<
  InboundEventView,
  'headers' | 'query' | 'payload' | 'rawBody' | 'executionLog' | 'semantic'
>;

type Row = Record<string, unknown>;

/**
 * `q` as a delivery identity, a replay identity or a matched rule, written so each arm is an
 * index probe (a BitmapOr of three), never a scan of the table:
 * - the identities through the per-endpoint uniqueness indexes, which lead with `endpoint_id`
 *   and hold events that are not `rejected`: the tenant's endpoints are a short list (the
 *   `ANY(ARRAY(…))` is evaluated once), and a rejected event has no identity to find (the
 *   gateway stores it without one, as it never got as far as computing it);
 * - the rule through `inbound_events_tenant_matched_rule_idx` (partial: only processed
 *   events that matched a rule have an entry; nothing is indexed when a webhook is stored).
 * A common rule name still walks the cursor index and stops after one page.
 */
export function searchSql(n: number): string {
  // $1 is the tenant (see filter): a parameter, so the list is an InitPlan the index scans
  // take as their key, where `= e.tenant_id` would be a per-row SubPlan.
  const endpoints = `ARRAY(SELECT id FROM inbound_endpoints WHERE tenant_id = $1)`;
  return `((e.state <> 'rejected' AND e.endpoint_id = ANY(${endpoints}) AND e.delivery_identity = $${n})
        OR (e.state <> 'rejected' AND e.endpoint_id = ANY(${endpoints}) AND e.replay_identity = $${n})
        OR (e.tenant_id = $1 AND e.matched_rule = $${n}))`;
}

const iso = (value: unknown): string | null =>
  value ? new Date(value as string).toISOString() : null;

const TRANSITIONS = {
  reset: { from: ['error', 'dead_letter'], to: 'received' },
  process: { from: ['received'], to: 'received' },
  'dead-letter': { from: ['received', 'error'], to: 'dead_letter' },
} as const;
export type InboundEventAction = keyof typeof TRANSITIONS;

@Injectable()
export class InboundEventsService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly audit: AuditService,
    @InjectQueue(QueueName.InboundEvents) private readonly queue: Queue<ProcessInboundEventJob>,
  ) {}

  async get(tenantId: string, id: string): Promise<InboundEventView> {
    return toView(await this.row(tenantId, id));
  }

  async list(tenantId: string, query: ListInboundEventsQuery): Promise<Page<InboundEventSummary>> {
    const limit = query.limit ?? 50;
    const { where, params } = this.filter(tenantId, query);
    const after = afterCursor(query.cursor, params, { time: 'e.received_at', id: 'e.id' });
    if (after) where.push(after);
    params.push(limit + 1);
    const rows: Row[] = await this.dataSource.query(
      `SELECT e.id, e.endpoint_id, e.endpoint_path, e.state, e.method, e.url, e.content_type, e.delivery_identity,
              e.replay_identity, e.duplicate_count, e.last_duplicate_at, e.reject_reason, e.matched_rule, e.error,
              e.error_stack, e.body_size, e.body_sha256, e.attempts, e.due_at, e.received_at, e.processed_at, e.updated_at
         FROM inbound_events e
        WHERE ${where.join(' AND ')}
        ORDER BY e.received_at DESC, e.id DESC
        LIMIT $${params.length}`,
      params,
    );
    return toPage(rows, limit, toSummary, (row) => ({
      at: iso(row.received_at)!,
      id: String(row.id),
    }));
  }

  /** reset / process / dead-letter one event. */
  async act(tenantId: string, id: string, action: InboundEventAction): Promise<InboundEventView> {
    const transition = TRANSITIONS[action];
    const updated = await this.dataSource.transaction(async (manager) => {
      // The state it had, read in the same statement as the change (the old row's values).
      const rows = rowsOf<Row & { previous_state: string }>(
        await manager.query(
          `UPDATE inbound_events e
              SET state = $3, due_at = NULL, lease_until = NULL, updated_at = now(),
                  error = CASE WHEN $3 = 'dead_letter' THEN COALESCE(e.error, 'dead-lettered by an operator') ELSE e.error END
             FROM (SELECT id, state FROM inbound_events WHERE id = $1 AND tenant_id = $2 FOR UPDATE) old
            WHERE e.id = old.id AND e.state = ANY($4)
            RETURNING e.*, old.state AS previous_state`,
          [requireUuid(id, 'inbound event'), tenantId, transition.to, transition.from],
        ),
      );
      if (rows[0]) {
        await this.audit.record(manager, null, {
          action: `inbound-event.${action}`,
          entityType: 'inbound-event',
          entityId: id,
          before: { state: rows[0].previous_state },
          after: { state: rows[0].state },
        });
      }
      return rows;
    });
    if (updated.length === 0) {
      const current = await this.row(tenantId, id);
      throw new ConflictException({
        message: `cannot ${action} an event in state "${String(current.state)}" (allowed from: ${transition.from.join(', ')})`,
        details: { currentState: current.state },
      });
    }
    const row = updated[0];
    if (transition.to === 'received')
      await this.enqueue([{ id: String(row.id), attempts: Number(row.attempts) }]);
    return toView(row);
  }

  /**
   * Bulk reset of `error`/`dead_letter` events matching a filter (default: both states). A
   * dry run only counts them (changing nothing, auditing nothing), so an operator can be
   * told how many before confirming.
   */
  async reprocess(
    tenantId: string,
    dto: ReprocessInboundEventsDto,
  ): Promise<{ reprocessed: number } | { matched: number }> {
    const { dryRun, ...filter } = dto;
    if (filter.state && !['error', 'dead_letter'].includes(filter.state)) {
      throw new ConflictException({
        message: `only error and dead_letter events can be reprocessed, not "${filter.state}"`,
      });
    }
    const { where, params } = this.filter(tenantId, { ...filter, state: undefined });
    params.push(filter.state ? [filter.state] : ['error', 'dead_letter']);
    where.push(`e.state = ANY($${params.length})`);
    if (dryRun) {
      const [row] = rowsOf<{ matched: number }>(
        await this.dataSource.query(
          `SELECT count(*)::int AS matched FROM inbound_events e WHERE ${where.join(' AND ')}`,
          params,
        ),
      );
      return { matched: row?.matched ?? 0 };
    }
    let total = 0;
    // In batches, so a large reprocess never holds one long lock over hot rows.
    for (;;) {
      const rows = rowsOf<{ id: string; attempts: number }>(
        await this.dataSource.query(
          `UPDATE inbound_events SET state = 'received', due_at = NULL, lease_until = NULL, updated_at = now()
            WHERE id IN (SELECT e.id FROM inbound_events e WHERE ${where.join(' AND ')} LIMIT 1000 FOR UPDATE SKIP LOCKED)
            RETURNING id, attempts`,
          params,
        ),
      );
      if (rows.length === 0) break;
      await this.enqueue(rows);
      total += rows.length;
    }
    await this.audit.record(null, null, {
      action: 'inbound-event.reprocess',
      entityType: 'inbound-event',
      entityId: null,
      after: { filter, reprocessed: total },
    });
    return { reprocessed: total };
  }

  private async enqueue(rows: Array<{ id: string; attempts: number }>): Promise<void> {
    try {
      await this.queue.addBulk(
        rows.map((row) => ({
          name: InboundEventsJob.Process,
          data: { eventId: row.id },
          opts: { jobId: itemJobId(row.id, row.attempts) },
        })),
      );
    } catch {
      // The rows are `received` in Postgres: the gateway's reconciler enqueues them.
    }
  }

  private filter(
    tenantId: string,
    filter: InboundEventFilter,
  ): { where: string[]; params: unknown[] } {
    const where = ['e.tenant_id = $1'];
    const params: unknown[] = [tenantId];
    const add = (sql: (n: number) => string, value: unknown) => {
      params.push(value);
      where.push(sql(params.length));
    };
    if (filter.state) add((n) => `e.state = $${n}`, filter.state);
    if (filter.endpoint) {
      add(
        (n) => (isUuid(filter.endpoint!) ? `e.endpoint_id = $${n}` : `e.endpoint_path = $${n}`),
        filter.endpoint,
      );
    }
    if (filter.from) add((n) => `e.received_at >= $${n}`, toTimestamp(filter.from));
    if (filter.to) add((n) => `e.received_at < $${n}`, toTimestamp(filter.to));
    if (filter.q) add((n) => (isUuid(filter.q!) ? `e.id = $${n}` : searchSql(n)), filter.q);
    return { where, params };
  }

  private async row(tenantId: string, id: string): Promise<Row> {
    const rows: Row[] = await this.dataSource.query(
      `SELECT * FROM inbound_events WHERE id = $1 AND tenant_id = $2`,
      [requireUuid(id, 'inbound event'), tenantId],
    );
    if (!rows[0]) throw new NotFoundException(`inbound event ${id} not found`);
    return rows[0];
  }
}

function toSummary(row: Row): InboundEventSummary {
  return {
    id: String(row.id),
    endpointId: String(row.endpoint_id),
    endpointPath: String(row.endpoint_path),
    state: String(row.state),
    method: String(row.method),
    url: redactUrl(String(row.url)),
    contentType: (row.content_type as string | null) ?? null,
    deliveryIdentity: (row.delivery_identity as string | null) ?? null,
    replayIdentity: (row.replay_identity as string | null) ?? null,
    duplicateCount: Number(row.duplicate_count ?? 0),
    lastDuplicateAt: iso(row.last_duplicate_at),
    rejectReason: (row.reject_reason as string | null) ?? null,
    bodySize: row.body_size === null || row.body_size === undefined ? null : Number(row.body_size),
    bodySha256: (row.body_sha256 as string | null) ?? null,
    matchedRule: (row.matched_rule as string | null) ?? null,
    error: row.error
      ? { message: String(row.error), stack: (row.error_stack as string | null) ?? null }
      : null,
    attempts: Number(row.attempts ?? 0),
    dueAt: iso(row.due_at),
    receivedAt: iso(row.received_at)!,
    processedAt: iso(row.processed_at),
    updatedAt: iso(row.updated_at)!,
  };
}

export function toView(row: Row): InboundEventView {
  const raw = (row.raw_body as Buffer | null) ?? Buffer.alloc(0);
  return {
    ...toSummary(row),
    // Credentials a sender sent (Authorization, ?token=) are kept as received — rules,
    // identities and re-processing read them — and redacted here, for every key: secrets
    // are write-only (issue 21). Signature headers stay visible for debugging.
    headers: redactHeaders((row.headers as Record<string, unknown>) ?? {}),
    query: redactQuery((row.query as Record<string, unknown>) ?? {}),
    payload: row.payload ?? null,
    rawBody: { base64: raw.toString('base64'), bytes: raw.length },
    semantic: (row.semantic as Record<string, unknown>) ?? {},
    executionLog: row.execution_log ?? null,
  };
}
