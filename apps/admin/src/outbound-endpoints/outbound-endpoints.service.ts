import { ConflictException, Injectable, NotFoundException } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import {
  isBodilessMethod,
  withRetryDefaults,
  type PayloadRule,
  type QueryRule,
  type RetryPolicy,
} from '@app/core';
import {
  OutboundEndpointsRepository,
  type OutboundEndpointEntity,
  type OutboundEndpointValues,
} from '@app/persistence';
import { AuditService } from '../audit/audit.service';
import { ConfigChangePublisher } from '../common/config-change.publisher';
import { requireUuid } from '../common/ids';
import { decodeCursor, toPage, type Page } from '../common/pagination';
import { conflictOnDuplicate } from '../common/pg-errors';
import { validationFailure } from '../common/validation';
import { DeliveriesService, type DeliveryView } from '../deliveries/deliveries.service';
import { HandlersService } from '../handlers/handlers.service';
import { ActivateOutboundEndpoint } from './activate-outbound-endpoint.use-case';
import { ArchiveOutboundEndpoint } from './archive-outbound-endpoint.use-case';
import type {
  CreateOutboundEndpointDto,
  EndpointRequestShape,
  ListOutboundEndpointsQuery,
  TestDeliveryDto,
  UpdateOutboundEndpointDto,
} from './outbound-endpoint.dto';
import { OutboundEndpointSecrets, type EndpointSecurity } from './outbound-endpoint-secrets';
import {
  healthSettings,
  withoutUndefined,
  mergedRequestShape,
  mergedRetryPolicy,
} from './outbound-endpoint-settings';
import { outboundEndpointProblems } from './outbound-endpoint.validation';
import { toOutboundEndpointView, type OutboundEndpointView } from './outbound-endpoint.view';

export type { OutboundEndpointView } from './outbound-endpoint.view';

/**
 * Outbound endpoints (SPEC §5, §11): list, read, create, update and test sends. Secrets
 * are sealed by OutboundEndpointSecrets and never answered: reads say `secretSet`.
 *
 * State moves only through activate and archive, each a use case of its own. Every change
 * and test send is audited, in the change's transaction.
 */
@Injectable()
export class OutboundEndpointsService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly endpoints: OutboundEndpointsRepository,
    private readonly handlers: HandlersService,
    private readonly deliveries: DeliveriesService,
    private readonly changes: ConfigChangePublisher,
    private readonly audit: AuditService,
    private readonly secrets: OutboundEndpointSecrets,
    private readonly activation: ActivateOutboundEndpoint,
    private readonly archiving: ArchiveOutboundEndpoint,
  ) {}

  async list(
    tenantId: string,
    query: ListOutboundEndpointsQuery,
  ): Promise<Page<OutboundEndpointView>> {
    const limit = query.limit ?? 50;
    const rows = await this.endpoints.list(tenantId, {
      state: query.state,
      after: decodeCursor(query.cursor),
      limit,
    });
    return toPage(rows, limit, toOutboundEndpointView, (row) => ({
      at: row.createdAt.toISOString(),
      id: row.id,
    }));
  }

  async get(tenantId: string, id: string): Promise<OutboundEndpointView> {
    return toOutboundEndpointView(await this.row(tenantId, id));
  }

  async create(tenantId: string, dto: CreateOutboundEndpointDto): Promise<OutboundEndpointView> {
    const handlerId = await this.checkHandler(tenantId, dto.handler ?? dto.handlerId ?? null);
    const security = this.secrets.prepare(dto, null);
    const retryPolicy = withRetryDefaults(withoutUndefined(dto.retryPolicy ?? {}));
    const method = dto.method ?? 'POST';
    // A GET or HEAD has no body, so its body mode defaults to none.
    const bodyMode = dto.bodyMode ?? (isBodilessMethod(method) ? 'none' : 'json');
    this.validate({ ...dto, method, bodyMode }, { linked: false, retryPolicy, security });
    const row = await conflictOnDuplicate(
      () =>
        this.dataSource.transaction(async (manager) => {
          const inserted = await this.endpoints.in(manager).insert({
            tenantId,
            code: dto.code,
            name: dto.name,
            state: dto.state ?? 'draft',
            method,
            bodyMode,
            targetHost: dto.targetHost,
            targetPath: dto.targetPath ?? '',
            timeoutMs: dto.timeoutMs ?? 10_000,
            handlerId,
            headerRules: dto.headerRules ?? [],
            payloadRules: (dto.payloadRules ?? []) as PayloadRule[],
            replacePayload: dto.replacePayload ?? false,
            queryRules: (dto.queryRules ?? []) as QueryRule[],
            eventTypes: dto.eventTypes ?? [],
            signing: security.signing,
            auth: security.auth,
            secrets: security.secrets,
            retryPolicy,
            rateLimitPerSecond: dto.rateLimitPerSecond ?? null,
            health: healthSettings(dto.health, {}),
          });
          await this.audit.record(manager, null, {
            action: 'outbound-endpoint.create',
            entityType: 'outbound-endpoint',
            entityId: inserted.id,
            after: toOutboundEndpointView(inserted),
          });
          return inserted;
        }),
      `an outbound endpoint with code "${dto.code}" already exists`,
    );
    await this.changes.announce({ entity: 'outbound-endpoint', id: row.id });
    return this.get(tenantId, row.id);
  }

  /**
   * A partial update merged onto the row as it is under its lock, in the transaction that
   * writes it: a signing-secret rotation or another update committed meanwhile is what this
   * one builds on, never overwritten with an earlier copy.
   */
  async update(
    tenantId: string,
    id: string,
    dto: UpdateOutboundEndpointDto,
  ): Promise<OutboundEndpointView> {
    await conflictOnDuplicate(
      () =>
        this.dataSource.transaction(async (manager) => {
          const current = await this.row(tenantId, id, manager);
          const updated = await this.endpoints
            .in(manager)
            .update(tenantId, id, await this.merged(tenantId, current, dto));
          await this.audit.record(manager, null, {
            action: 'outbound-endpoint.update',
            entityType: 'outbound-endpoint',
            entityId: id,
            before: toOutboundEndpointView(current),
            after: toOutboundEndpointView(updated!),
          });
        }),
      `an outbound endpoint with code "${dto.code}" already exists`,
    );
    await this.changes.announce({ entity: 'outbound-endpoint', id });
    return this.get(tenantId, id);
  }

  /** The row's new columns: `dto` over `current`, checked and with its secrets prepared. */
  private async merged(
    tenantId: string,
    current: OutboundEndpointEntity,
    dto: UpdateOutboundEndpointDto,
  ): Promise<OutboundEndpointValues> {
    const linked = current.connectorId !== null && current.connectorId !== undefined;
    if (linked && dto.code !== undefined && dto.code !== current.code) {
      throw new ConflictException({
        message:
          'the code of a connector-linked endpoint is <prefix>-<suffix>; it cannot be edited',
        details: { code: current.code, connectorId: current.connectorId },
      });
    }
    const handlerRef = dto.handler !== undefined ? dto.handler : dto.handlerId;
    const handlerId =
      handlerRef === undefined
        ? (current.handlerId ?? null)
        : await this.checkHandler(tenantId, handlerRef);
    const security = this.secrets.prepare(dto, current);
    const retryPolicy = mergedRetryPolicy(current, dto);
    const merged = mergedRequestShape(current, dto);
    this.validate(merged, { linked, retryPolicy, security });
    return {
      ...merged,
      handlerId,
      signing: security.signing,
      auth: security.auth,
      secrets: security.secrets,
      retryPolicy,
      health: healthSettings(dto.health, current.health ?? {}),
    };
  }

  activate(tenantId: string, id: string): Promise<OutboundEndpointView> {
    return this.activation.execute(tenantId, id);
  }

  archive(
    tenantId: string,
    id: string,
    options: { idempotent?: boolean } = {},
  ): Promise<OutboundEndpointView> {
    return this.archiving.execute(tenantId, id, options);
  }

  /** Sends a sample (or the given) payload as a test delivery (`isTest`). */
  async test(tenantId: string, id: string, dto: TestDeliveryDto): Promise<DeliveryView> {
    const endpoint = await this.row(tenantId, id);
    if (endpoint.state === 'archived') {
      throw new ConflictException({
        message: 'an archived endpoint accepts no deliveries',
        details: { currentState: endpoint.state },
      });
    }
    const delivery = await this.deliveries.deliver(
      tenantId,
      {
        endpoint: endpoint.code,
        payload: dto.payload ?? {
          type: 'hookgate.test',
          endpoint: endpoint.code,
          message: 'A test delivery from Hookgate',
          sentAt: new Date().toISOString(),
        },
        context: dto.context,
      },
      { isTest: true },
    );
    await this.audit.record(null, null, {
      action: 'outbound-endpoint.test',
      entityType: 'outbound-endpoint',
      entityId: id,
      after: { deliveryId: delivery.id, state: delivery.state, isTest: true },
    });
    return delivery;
  }

  private validate(
    spec: EndpointRequestShape,
    extra: { linked: boolean; retryPolicy: RetryPolicy; security: EndpointSecurity },
  ): void {
    const problems = outboundEndpointProblems({
      method: spec.method,
      bodyMode: spec.bodyMode,
      targetHost: spec.targetHost,
      targetPath: spec.targetPath ?? '',
      linked: extra.linked,
      headerRules: spec.headerRules ?? [],
      payloadRules: (spec.payloadRules ?? []) as PayloadRule[],
      replacePayload: spec.replacePayload ?? false,
      queryRules: (spec.queryRules ?? []) as QueryRule[],
      eventTypes: spec.eventTypes ?? [],
      signing: extra.security.plainSigning,
      auth: extra.security.plainAuth,
      retryPolicy: extra.retryPolicy,
    });
    if (problems.length > 0) throw validationFailure(problems);
  }

  private async checkHandler(tenantId: string, ref: string | null): Promise<string | null> {
    if (ref === null) return null;
    const handler = await this.handlers.resolveRef(tenantId, ref);
    if (!handler)
      throw validationFailure([
        { field: 'handler', problems: [`no handler "${ref}" in this tenant`] },
      ]);
    if (handler.direction !== 'outbound') {
      throw validationFailure([
        { field: 'handler', problems: ['an outbound endpoint needs an outbound handler'] },
      ]);
    }
    if (!handler.active)
      throw validationFailure([{ field: 'handler', problems: ['the handler is archived'] }]);
    return handler.id;
  }

  /** The endpoint of this tenant (locked until commit when read in a transaction); 404. */
  private async row(
    tenantId: string,
    id: string,
    manager?: EntityManager,
  ): Promise<OutboundEndpointEntity> {
    const row = await this.endpoints
      .in(manager)
      .findOwned(tenantId, requireUuid(id, 'outbound endpoint'), { lock: manager !== undefined });
    if (!row) throw new NotFoundException(`outbound endpoint ${id} not found`);
    return row;
  }
}
