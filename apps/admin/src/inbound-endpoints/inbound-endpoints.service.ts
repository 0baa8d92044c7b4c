import {
  BadRequestException,
  ConflictException,
  Inject,
  Injectable,
  NotFoundException,
} from '@nestjs/common';
import { DataSource } from 'typeorm';
import {
  HookgateError,
  resolveInboundSecurity,
  type IdentityConfig,
  type SignatureConfig,
  type TimestampConfig,
} from '@app/core';
import type { SecretBox } from '@app/persistence';
import { SECRET_BOX } from '@app/platform';
import { AuditService } from '../audit/audit.service';
import { ConfigChangePublisher } from '../common/config-change.publisher';
import { requireUuid } from '../common/ids';
import { conflictOnDuplicate, rowsOf } from '../common/pg-errors';
import type { Queryable } from '../common/queryable';
import { validationFailure } from '../common/validation';
import { HandlersService } from '../handlers/handlers.service';
import type { CreateInboundEndpointDto, UpdateInboundEndpointDto } from './inbound-endpoint.dto';

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

type Row = Record<string, unknown>;
type Secrets = Record<string, string>;

@Injectable()
export class InboundEndpointsService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly handlers: HandlersService,
    private readonly changes: ConfigChangePublisher,
    private readonly audit: AuditService,
    @Inject(SECRET_BOX) private readonly secrets: SecretBox,
  ) {}

  async list(tenantId: string): Promise<InboundEndpointView[]> {
    const rows: Row[] = await this.dataSource.query(
      `SELECT * FROM inbound_endpoints WHERE tenant_id = $1 ORDER BY path`,
      [tenantId],
    );
    return rows.map(toView);
  }

  async get(tenantId: string, id: string): Promise<InboundEndpointView> {
    return toView(await this.row(tenantId, id));
  }

  async create(tenantId: string, dto: CreateInboundEndpointDto): Promise<InboundEndpointView> {
    const handlerId = await this.checkHandler(tenantId, dto.handler);
    const { signature, secrets } = this.prepareSecurity(dto, {});
    const row = await conflictOnDuplicate(
      () =>
        this.dataSource.transaction(async (manager) => {
          const [inserted]: Row[] = await manager.query(
            `INSERT INTO inbound_endpoints (tenant_id, name, path, handler_id, active, max_body_bytes, signature,
                                          identity, timestamp, semantic_bindings, handshakes, secrets, rejected_per_minute)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING *`,
            [
              tenantId,
              dto.name,
              dto.path,
              handlerId,
              dto.active ?? true,
              dto.maxBodyBytes ?? 1048576,
              signature,
              dto.identity ?? {},
              dto.timestamp ?? null,
              JSON.stringify(dto.semanticBindings ?? []),
              this.handshakeFlags(dto.handshakes, {}),
              this.handshakeSecrets(dto.handshakes, secrets),
              dto.rejectedPerMinute ?? 60,
            ],
          );
          await this.audit.record(manager, null, {
            action: 'inbound-endpoint.create',
            entityType: 'inbound-endpoint',
            entityId: String(inserted.id),
            after: toView(inserted),
          });
          return inserted;
        }),
      `an inbound endpoint with path "${dto.path}" already exists`,
    );
    const id = String(row.id);
    await this.changes.announce({ entity: 'inbound-endpoint', id });
    return this.get(tenantId, id);
  }

  async update(
    tenantId: string,
    id: string,
    dto: UpdateInboundEndpointDto,
  ): Promise<InboundEndpointView> {
    const current = await this.row(tenantId, id);
    if (current.connector_id && dto.path !== undefined && dto.path !== current.path) {
      throw new ConflictException({
        message:
          'the path of a connector-linked endpoint is <prefix>-<suffix>; it cannot be edited',
        details: { path: current.path, connectorId: current.connector_id },
      });
    }
    const handlerId = dto.handler
      ? await this.checkHandler(tenantId, dto.handler)
      : String(current.handler_id);
    const merged: CreateInboundEndpointDto = {
      name: dto.name ?? String(current.name),
      path: dto.path ?? String(current.path),
      handler: handlerId,
      signature: dto.signature ?? (current.signature as CreateInboundEndpointDto['signature']),
      identity: dto.identity ?? (current.identity as IdentityConfig),
      timestamp: dto.timestamp ?? (current.timestamp as TimestampConfig | null) ?? undefined,
    };
    const { signature, secrets } = this.prepareSecurity(
      merged,
      (current.secrets as Secrets) ?? {},
      dto.signature !== undefined,
    );
    const handshakeSecrets = this.handshakeSecrets(dto.handshakes, secrets);
    await conflictOnDuplicate(
      () =>
        this.dataSource.transaction(async (manager) => {
          const before = toView(await this.row(tenantId, id, manager, { lock: true }));
          const [updated]: Row[] = rowsOf<Row>(
            await manager.query(
              `UPDATE inbound_endpoints
              SET name = $3, path = $4, handler_id = $5, active = $6, max_body_bytes = $7, signature = $8,
                  identity = $9, timestamp = $10, semantic_bindings = $11, handshakes = $12, secrets = $13,
                  rejected_per_minute = $14, updated_at = now()
            WHERE id = $1 AND tenant_id = $2
            RETURNING *`,
              [
                id,
                tenantId,
                merged.name,
                merged.path,
                handlerId,
                dto.active ?? current.active,
                dto.maxBodyBytes ?? current.max_body_bytes,
                signature,
                merged.identity ?? {},
                merged.timestamp ?? null,
                JSON.stringify(dto.semanticBindings ?? current.semantic_bindings ?? []),
                this.handshakeFlags(dto.handshakes, (current.handshakes as Row) ?? {}),
                handshakeSecrets,
                dto.rejectedPerMinute ?? current.rejected_per_minute,
              ],
            ),
          );
          await this.audit.record(manager, null, {
            action: 'inbound-endpoint.update',
            entityType: 'inbound-endpoint',
            entityId: id,
            before,
            after: toView(updated),
          });
        }),
      `an inbound endpoint with path "${merged.path}" already exists`,
    );
    await this.changes.announce({ entity: 'inbound-endpoint', id });
    return this.get(tenantId, id);
  }

  /** DELETE deactivates: events keep pointing at their endpoint; the path answers 404. */
  async deactivate(tenantId: string, id: string): Promise<InboundEndpointView> {
    await this.row(tenantId, id);
    await this.dataSource.transaction(async (manager) => {
      const before = toView(await this.row(tenantId, id, manager, { lock: true }));
      const [updated] = rowsOf<Row>(
        await manager.query(
          `UPDATE inbound_endpoints SET active = false, updated_at = now()
            WHERE id = $1 AND tenant_id = $2 RETURNING *`,
          [id, tenantId],
        ),
      );
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

  /**
   * Splits secrets out of the signature config, encrypts new ones and keeps stored ones
   * the update did not mention, then proves the result resolves (400 if it cannot verify).
   */
  private prepareSecurity(
    dto: Pick<CreateInboundEndpointDto, 'signature' | 'timestamp' | 'identity'>,
    stored: Secrets,
    signatureGiven = true,
  ): { signature: Omit<SignatureConfig, 'secret' | 'secondarySecret'>; secrets: Secrets } {
    const { secret, secondarySecret, ...signature } = (dto.signature ?? {
      mode: 'none',
    }) as SignatureConfig;
    const secrets: Secrets = { ...stored };
    if (signatureGiven && secret !== undefined) secrets.secret = this.secrets.encrypt(secret);
    if (signatureGiven && secondarySecret !== undefined)
      secrets.secondarySecret = this.secrets.encrypt(secondarySecret);
    try {
      resolveInboundSecurity(
        {
          signature: {
            ...signature,
            secret: secrets.secret ? this.secrets.decrypt(secrets.secret) : undefined,
            secondarySecret: secrets.secondarySecret
              ? this.secrets.decrypt(secrets.secondarySecret)
              : undefined,
          },
          timestamp: dto.timestamp,
          identity: dto.identity,
        },
        { requireSecret: true },
      );
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      throw new BadRequestException({
        message,
        details: [{ field: securityField(error), problems: [message] }],
      });
    }
    return { signature, secrets };
  }

  private handshakeFlags(given: CreateInboundEndpointDto['handshakes'], current: Row): Row {
    if (!given) return current;
    return {
      slack: given.slack ?? current.slack ?? false,
      meta: given.meta === null ? false : given.meta !== undefined ? true : (current.meta ?? false),
      zoom: given.zoom === null ? false : given.zoom !== undefined ? true : (current.zoom ?? false),
    };
  }

  private handshakeSecrets(
    given: CreateInboundEndpointDto['handshakes'],
    secrets: Secrets,
  ): Secrets {
    const next = { ...secrets };
    if (given?.meta) next.metaVerifyToken = this.secrets.encrypt(given.meta.verifyToken);
    if (given?.meta === null) delete next.metaVerifyToken;
    if (given?.zoom) next.zoomSecretToken = this.secrets.encrypt(given.zoom.secretToken);
    if (given?.zoom === null) delete next.zoomSecretToken;
    return next;
  }

  private async row(
    tenantId: string,
    id: string,
    db: Queryable = this.dataSource,
    options: { lock?: boolean } = {},
  ): Promise<Row> {
    const rows: Row[] = await db.query(
      `SELECT * FROM inbound_endpoints WHERE id = $1 AND tenant_id = $2${options.lock ? ' FOR UPDATE' : ''}`,
      [requireUuid(id, 'inbound endpoint'), tenantId],
    );
    if (!rows[0]) throw new NotFoundException(`inbound endpoint ${id} not found`);
    return rows[0];
  }
}

function toView(row: Row): InboundEndpointView {
  const secrets = (row.secrets as Secrets | null) ?? {};
  const handshakes = (row.handshakes as Row | null) ?? {};
  return {
    id: String(row.id),
    name: String(row.name),
    path: String(row.path),
    url: `/webhooks/${String(row.path)}`,
    handlerId: String(row.handler_id),
    active: Boolean(row.active),
    connectorId: (row.connector_id as string | null) ?? null,
    codeSuffix: (row.code_suffix as string | null) ?? null,
    maxBodyBytes: Number(row.max_body_bytes),
    signature: {
      ...((row.signature as SignatureConfig | null) ?? { mode: 'none' }),
      secretSet: Boolean(secrets.secret),
      secondarySecretSet: Boolean(secrets.secondarySecret),
    },
    identity: (row.identity as IdentityConfig | null) ?? {},
    timestamp: (row.timestamp as TimestampConfig | null) ?? null,
    semanticBindings: (row.semantic_bindings as unknown[] | null) ?? [],
    handshakes: {
      slack: Boolean(handshakes.slack),
      meta: handshakes.meta ? { verifyTokenSet: Boolean(secrets.metaVerifyToken) } : null,
      zoom: handshakes.zoom ? { secretTokenSet: Boolean(secrets.zoomSecretToken) } : null,
    },
    rejectedPerMinute: Number(row.rejected_per_minute),
    createdAt: new Date(row.created_at as string).toISOString(),
    updatedAt: new Date(row.updated_at as string).toISOString(),
  };
}

/**
 * The request field a security configuration problem concerns, as the validation pipe names
 * fields (`signature.parts.1.name`, `timestamp.maxAgeSeconds`): core says which setting it
 * could not resolve (`details.field`, `signature.parts[1].name`), so the console can show the
 * message on that input. Anything unnamed stays on `signature`.
 */
function securityField(error: unknown): string {
  const field = error instanceof HookgateError ? error.details?.field : undefined;
  return typeof field === 'string' && field !== ''
    ? field.replace(/\[(\d+)\]/g, '.$1')
    : 'signature';
}
