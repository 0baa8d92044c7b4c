import { ConflictException, Injectable, NotFoundException } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { type IdentityConfig, type SignatureConfig, type TimestampConfig } from '@app/core';
import {
  InboundEndpointsRepository,
  type InboundEndpointEntity,
  type InboundEndpointValues,
} from '@app/persistence';
import { AuditService } from '../audit/audit.service';
import { ConfigChangePublisher } from '../common/config-change.publisher';
import { requireUuid } from '../common/ids';
import { conflictOnDuplicate } from '../common/pg-errors';
import { validationFailure } from '../common/validation';
import { HandlersService } from '../handlers/handlers.service';
import type { CreateInboundEndpointDto, UpdateInboundEndpointDto } from './inbound-endpoint.dto';
import { handshakeFlags, InboundEndpointSecrets } from './inbound-endpoint-secrets';

/**
 * Inbound endpoints (SPEC §4). Secrets (signature secrets, handshake tokens) are encrypted
 * on write, kept when an update omits them, and never answered: reads say `secretSet`.
 * Paths are unique across all tenants (one public URL space). Every change is audited in
 * its transaction, with the views (no secrets) as before/after.
 */
export interface InboundEndpointView {
  id: string;
  name: string;
  path: string;
  url: string;
  handlerId: string;
  active: boolean;
  connectorId: string | null;
  codeSuffix: string | null;
  maxBodyBytes: number;
  signature: Omit<SignatureConfig, 'secret' | 'secondarySecret'> & {
    secretSet: boolean;
    secondarySecretSet: boolean;
  };
  identity: IdentityConfig;
  timestamp: TimestampConfig | null;
  semanticBindings: unknown[];
  handshakes: {
    slack: boolean;
    meta: { verifyTokenSet: boolean } | null;
    zoom: { secretTokenSet: boolean } | null;
  };
  rejectedPerMinute: number;
  createdAt: string;
  updatedAt: string;
}

@Injectable()
export class InboundEndpointsService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly endpoints: InboundEndpointsRepository,
    private readonly handlers: HandlersService,
    private readonly changes: ConfigChangePublisher,
    private readonly audit: AuditService,
    private readonly security: InboundEndpointSecrets,
  ) {}

  async list(tenantId: string): Promise<InboundEndpointView[]> {
    return (await this.endpoints.listByTenant(tenantId)).map(toView);
  }

  async get(tenantId: string, id: string): Promise<InboundEndpointView> {
    return toView(await this.row(tenantId, id));
  }

  async create(tenantId: string, dto: CreateInboundEndpointDto): Promise<InboundEndpointView> {
    const handlerId = await this.checkHandler(tenantId, dto.handler);
    const { signature, secrets } = this.security.prepare(dto, {});
    const row = await conflictOnDuplicate(
      () =>
        this.dataSource.transaction(async (manager) => {
          const inserted = await this.endpoints.in(manager).insert({
            tenantId,
            name: dto.name,
            path: dto.path,
            handlerId,
            active: dto.active ?? true,
            maxBodyBytes: dto.maxBodyBytes ?? 1048576,
            signature,
            identity: dto.identity ?? {},
            timestamp: dto.timestamp ?? null,
            semanticBindings: dto.semanticBindings ?? [],
            handshakes: handshakeFlags(dto.handshakes, {}),
            secrets: this.security.handshakeSecrets(dto.handshakes, secrets),
            rejectedPerMinute: dto.rejectedPerMinute ?? 60,
          });
          await this.audit.record(manager, null, {
            action: 'inbound-endpoint.create',
            entityType: 'inbound-endpoint',
            entityId: inserted.id,
            after: toView(inserted),
          });
          return inserted;
        }),
      `an inbound endpoint with path "${dto.path}" already exists`,
    );
    const id = row.id;
    await this.changes.announce({ entity: 'inbound-endpoint', id });
    return this.get(tenantId, id);
  }

  /**
   * A partial update merged onto the row as it is under its lock, in the transaction that
   * writes it: a secret rotation or another update committed meanwhile is what this one
   * builds on, never overwritten with an earlier copy.
   */
  async update(
    tenantId: string,
    id: string,
    dto: UpdateInboundEndpointDto,
  ): Promise<InboundEndpointView> {
    await conflictOnDuplicate(
      () =>
        this.dataSource.transaction(async (manager) => {
          const current = await this.row(tenantId, id, manager);
          const updated = await this.endpoints
            .in(manager)
            .update(id, await this.merged(tenantId, current, dto));
          await this.audit.record(manager, null, {
            action: 'inbound-endpoint.update',
            entityType: 'inbound-endpoint',
            entityId: id,
            before: toView(current),
            after: toView(updated),
          });
        }),
      `an inbound endpoint with path "${dto.path}" already exists`,
    );
    await this.changes.announce({ entity: 'inbound-endpoint', id });
    return this.get(tenantId, id);
  }

  /** The row's new columns: `dto` over `current`, checked and with its secrets prepared. */
  private async merged(
    tenantId: string,
    current: InboundEndpointEntity,
    dto: UpdateInboundEndpointDto,
  ): Promise<InboundEndpointValues> {
    if (current.connectorId && dto.path !== undefined && dto.path !== current.path) {
      throw new ConflictException({
        message:
          'the path of a connector-linked endpoint is <prefix>-<suffix>; it cannot be edited',
        details: { path: current.path, connectorId: current.connectorId },
      });
    }
    const handlerId = dto.handler
      ? await this.checkHandler(tenantId, dto.handler)
      : current.handlerId;
    const merged: CreateInboundEndpointDto = {
      name: dto.name ?? current.name,
      path: dto.path ?? current.path,
      handler: handlerId,
      signature: dto.signature ?? (current.signature as CreateInboundEndpointDto['signature']),
      identity: dto.identity ?? current.identity,
      timestamp: dto.timestamp ?? current.timestamp ?? undefined,
    };
    const { signature, secrets } = this.security.prepare(
      merged,
      current.secrets ?? {},
      dto.signature !== undefined,
    );
    return {
      name: merged.name,
      path: merged.path,
      handlerId,
      active: dto.active ?? current.active,
      maxBodyBytes: dto.maxBodyBytes ?? current.maxBodyBytes,
      signature,
      identity: merged.identity ?? {},
      timestamp: merged.timestamp ?? null,
      semanticBindings: dto.semanticBindings ?? current.semanticBindings ?? [],
      handshakes: handshakeFlags(dto.handshakes, current.handshakes ?? {}),
      secrets: this.security.handshakeSecrets(dto.handshakes, secrets),
      rejectedPerMinute: dto.rejectedPerMinute ?? current.rejectedPerMinute,
    };
  }

  /** DELETE deactivates: events keep pointing at their endpoint; the path answers 404. */
  async deactivate(tenantId: string, id: string): Promise<InboundEndpointView> {
    await this.row(tenantId, id);
    await this.dataSource.transaction(async (manager) => {
      const before = toView(await this.row(tenantId, id, manager));
      const updated = await this.endpoints.in(manager).update(id, { active: false });
      await this.audit.record(manager, null, {
        action: 'inbound-endpoint.deactivate',
        entityType: 'inbound-endpoint',
        entityId: id,
        before,
        after: toView(updated),
      });
    });
    await this.changes.announce({ entity: 'inbound-endpoint', id });
    return this.get(tenantId, id);
  }

  private async checkHandler(tenantId: string, ref: string): Promise<string> {
    const handler = await this.handlers.resolveRef(tenantId, ref);
    if (!handler)
      throw validationFailure([
        { field: 'handler', problems: [`no handler "${ref}" in this tenant`] },
      ]);
    if (handler.direction !== 'inbound') {
      throw validationFailure([
        { field: 'handler', problems: ['an inbound endpoint needs an inbound handler'] },
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
  ): Promise<InboundEndpointEntity> {
    const row = await this.endpoints
      .in(manager)
      .findOwned(tenantId, requireUuid(id, 'inbound endpoint'), { lock: manager !== undefined });
    if (!row) throw new NotFoundException(`inbound endpoint ${id} not found`);
    return row;
  }
}

function toView(row: InboundEndpointEntity): InboundEndpointView {
  const secrets = row.secrets ?? {};
  const handshakes = row.handshakes ?? {};
  return {
    id: row.id,
    name: row.name,
    path: row.path,
    url: `/webhooks/${row.path}`,
    handlerId: row.handlerId,
    active: row.active,
    connectorId: row.connectorId ?? null,
    codeSuffix: row.codeSuffix ?? null,
    maxBodyBytes: row.maxBodyBytes,
    signature: {
      ...(row.signature ?? { mode: 'none' }),
      secretSet: Boolean(secrets.secret),
      secondarySecretSet: Boolean(secrets.secondarySecret),
    },
    identity: row.identity ?? {},
    timestamp: row.timestamp ?? null,
    semanticBindings: row.semanticBindings ?? [],
    handshakes: {
      slack: Boolean(handshakes.slack),
      meta: handshakes.meta ? { verifyTokenSet: Boolean(secrets.metaVerifyToken) } : null,
      zoom: handshakes.zoom ? { secretTokenSet: Boolean(secrets.zoomSecretToken) } : null,
    },
    rejectedPerMinute: row.rejectedPerMinute,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}
