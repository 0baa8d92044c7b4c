import { redactHeaders, redactQuery, redactUrl } from '@app/core';
import { ConflictException, Injectable, NotFoundException } from '@nestjs/common';
import { InjectQueue } from '@nestjs/bullmq';
import type { Queue } from 'bullmq';
import { DataSource } from 'typeorm';
import {
  InboundEventsAdminRepository,
  type InboundEventAdminFilter,
  type InboundEventAdminRow,
} from '@app/persistence';
import {
  InboundEventsJob,
  itemJobId,
  QueueName,
  type ProcessInboundEventJob,
} from '@app/messaging';
import { AuditService } from '../audit/audit.service';
import { decodeCursor, toPage, type Page } from '../common/pagination';
import { toTimestamp } from '../common/validation';
import { greatestId, isUuid, requireUuid } from '../common/ids';
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
  rejectCode: string | null;
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

type Row = InboundEventAdminRow;

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
    private readonly events: InboundEventsAdminRepository,
    private readonly audit: AuditService,
    @InjectQueue(QueueName.InboundEvents) private readonly queue: Queue<ProcessInboundEventJob>,
  ) {}

  async get(tenantId: string, id: string): Promise<InboundEventView> {
    return toView(await this.row(tenantId, id));
  }

  async list(tenantId: string, query: ListInboundEventsQuery): Promise<Page<InboundEventSummary>> {
    const limit = query.limit ?? 50;
    const rows = await this.events.list(
      tenantId,
      toFilter(query),
      decodeCursor(query.cursor),
      limit,
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
      const rows = await this.events
        .in(manager)
        .transition(tenantId, requireUuid(id, 'inbound event'), transition.to, transition.from);
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
    const matching = toFilter(filter);
    const states = filter.state ? [filter.state] : ['error', 'dead_letter'];
    if (dryRun) return { matched: await this.events.countInStates(tenantId, matching, states) };
    let total = 0;
    // In batches, so a large reprocess never holds one long lock over hot rows; in id order,
    // so an event that fails again while the walk goes on is not reprocessed twice.
    for (let after: string | null = null; ;) {
      const rows = await this.events.reprocessBatch(tenantId, matching, states, after);
      if (rows.length === 0) break;
      await this.enqueue(rows);
      total += rows.length;
      after = greatestId(rows);
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

  private async row(tenantId: string, id: string): Promise<Row> {
    const row = await this.events.findOwned(tenantId, requireUuid(id, 'inbound event'));
    if (!row) throw new NotFoundException(`inbound event ${id} not found`);
    return row;
  }
}

/** The API's filter as the repository takes it: an endpoint by id or path, canonical times. */
function toFilter(filter: InboundEventFilter): InboundEventAdminFilter {
  const { endpoint, q } = filter;
  return {
    state: filter.state,
    ...(endpoint ? (isUuid(endpoint) ? { endpointId: endpoint } : { endpointPath: endpoint }) : {}),
    from: filter.from ? toTimestamp(filter.from) : undefined,
    to: filter.to ? toTimestamp(filter.to) : undefined,
    ...(q ? (isUuid(q) ? { id: q } : { q }) : {}),
  };
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
    rejectCode: (row.reject_code as string | null) ?? null,
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
