import { ConflictException, Inject, Injectable, NotFoundException } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { deliverFilesOverLimits } from '@app/core';
import { DeliveryQueue } from '@app/messaging';
import { APP_CONFIG } from '@app/platform';
import { DeliveryIntake, type DeliveryRequest, type IntakeResult } from '@app/outbound';
import {
  ConnectorsRepository,
  DeliveriesAdminRepository,
  OutboundEndpointsRepository,
  type DeliveryAdminFilter,
} from '@app/persistence';
import { AuditService } from '../audit/audit.service';
import type { AdminConfig } from '../config';
import { greatestId, isUuid, requireUuid } from '../common/ids';
import { decodeCursor, toPage, type Page } from '../common/pagination';
import { toTimestamp, validationFailure } from '../common/validation';
import type {
  CreateDeliveryDto,
  DeliveryFilter,
  ListDeliveriesQuery,
  PublishEventDto,
  ReplayDeliveriesDto,
} from './delivery.dto';
import {
  iso,
  toAttemptView,
  toSummary,
  toView,
  type DeliveryDetail,
  type DeliverySummary,
  type DeliveryView,
} from './delivery.views';

export type {
  DeliveryAttemptView,
  DeliveryDetail,
  DeliverySummary,
  DeliveryView,
} from './delivery.views';

/**
 * Outbound deliveries as services publish them and operators see and act on them (SPEC §5).
 * Publishing goes through the same DeliveryIntake as the `outbound-requests` queue, rows
 * first, send jobs after the commit. Every operator transition is one conditional UPDATE,
 * so two operators (or an operator and the dispatcher) racing on one delivery cannot both
 * win; the loser gets 409 with the state it found. `processing` belongs to the dispatcher
 * and is never a source state here. Operator actions are audited (state before and after,
 * never the payload), each transition in its own transaction.
 */
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
    private readonly deliveries: DeliveriesAdminRepository,
    private readonly endpoints: OutboundEndpointsRepository,
    private readonly connectors: ConnectorsRepository,
    private readonly intake: DeliveryIntake,
    private readonly queue: DeliveryQueue,
    private readonly audit: AuditService,
    @Inject(APP_CONFIG) private readonly config: AdminConfig,
  ) {}

  /** One delivery to one endpoint (the `deliver` job). Unknown/archived → a dead_letter row. */
  async deliver(
    tenantId: string,
    dto: CreateDeliveryDto,
    options: { isTest?: boolean } = {},
  ): Promise<DeliveryView> {
    if (dto.connector !== undefined) await this.checkConnectorId(tenantId, dto.connector);
    const tooLarge = deliverFilesOverLimits(dto.files ?? [], {
      maxFileBytes: this.config.DELIVER_FILE_MAX_BYTES,
      maxTotalBytes: this.config.DELIVER_FILES_MAX_TOTAL_BYTES,
    });
    if (tooLarge.length > 0) {
      throw validationFailure(tooLarge.map((p) => ({ field: p.field, problems: [p.problem] })));
    }
    const request: DeliveryRequest = {
      ...(dto.connector !== undefined
        ? { endpoint: '', connector: { connector: dto.connector, suffix: dto.suffix ?? '' } }
        : { endpoint: await this.endpointCode(tenantId, dto.endpoint ?? '') }),
      payload: dto.payload,
      context: dto.context,
      idempotencyKey: dto.idempotencyKey,
      isTest: options.isTest ?? false,
      files: dto.files,
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
    const filter = toFilter(query);
    const rows = await this.deliveries.list(tenantId, filter, decodeCursor(query.cursor), limit);
    return toPage(rows, limit, toSummary, (row) => ({
      at: iso(row.created_at)!,
      id: String(row.id),
    }));
  }

  /** One delivery with its attempt log, oldest attempt first. */
  async get(tenantId: string, id: string): Promise<DeliveryDetail> {
    const row = await this.deliveries.findOwned(tenantId, requireUuid(id, 'delivery'));
    if (!row) throw new NotFoundException(`delivery ${id} not found`);
    const attempts = await this.deliveries.attempts(id);
    return {
      ...toView(row),
      errorStack: (row.error_stack as string | null) ?? null,
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
      const rows = await this.deliveries
        .in(manager)
        .transition(tenantId, requireUuid(id, 'delivery'), transition.to, transition.from);
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
    const matching = toFilter(filter);
    const states = filter.state ? [filter.state] : ['error', 'dead_letter'];
    if (dryRun) {
      return { matched: await this.deliveries.countReplayable(tenantId, matching, states) };
    }
    let total = 0;
    // In batches, so a large replay never holds one long lock over rows the dispatcher needs;
    // in id order, so a delivery that fails again while the walk goes on (its endpoint still
    // down) is not sent again by the same replay.
    for (let after: string | null = null; ;) {
      const rows = await this.deliveries.replayBatch(tenantId, matching, states, after);
      if (rows.length === 0) break;
      await this.enqueue(rows.filter((row) => row.state === 'queued'));
      total += rows.length;
      after = greatestId(rows);
    }
    await this.audit.record(null, null, {
      action: 'delivery.replay',
      entityType: 'delivery',
      entityId: null,
      after: { filter, replayed: total },
    });
    return { replayed: total };
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
    const rows = await this.deliveries.findManyOwned(
      tenantId,
      results.map((r) => r.id),
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
    const code = await this.endpoints.findCode(tenantId, { id: ref });
    if (code === null) {
      throw validationFailure([
        { field: 'endpoint', problems: [`no outbound endpoint ${ref} in this tenant`] },
      ]);
    }
    return code;
  }

  /** Like endpoint ids: a connector id that is not this tenant's is a 400, not a dead letter. */
  private async checkConnectorId(tenantId: string, ref: string): Promise<void> {
    if (!isUuid(ref)) return;
    if (!(await this.connectors.findOwned(tenantId, ref))) {
      throw validationFailure([
        { field: 'connector', problems: [`no connector ${ref} in this tenant`] },
      ]);
    }
  }
}

/** The API's filter as the repository takes it: an endpoint by id or code, canonical times. */
function toFilter(filter: Omit<DeliveryFilter, 'state'> & { state?: string }): DeliveryAdminFilter {
  const endpoint = filter.endpoint;
  return {
    state: filter.state,
    ...(endpoint ? (isUuid(endpoint) ? { endpointId: endpoint } : { endpointCode: endpoint }) : {}),
    eventType: filter.eventType,
    idempotencyKey: filter.idempotencyKey,
    sourceEventId: filter.sourceEventId,
    isTest: filter.isTest,
    from: filter.from ? toTimestamp(filter.from) : undefined,
    to: filter.to ? toTimestamp(filter.to) : undefined,
  };
}
