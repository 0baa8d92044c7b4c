import { ConflictException, Inject, Injectable, NotFoundException } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { CONNECTOR_KINDS, type ConnectorKind, type ConnectorKindRegistry } from '@app/connectors';
import {
  ConnectorsRepository,
  InboundEndpointsRepository,
  OutboundEndpointsRepository,
  type ConnectorEntity,
  type SecretBox,
} from '@app/persistence';
import { SECRET_BOX } from '@app/platform';
import { AuditService } from '../audit/audit.service';
import { ConfigChangePublisher } from '../common/config-change.publisher';
import { requireUuid } from '../common/ids';
import { conflictOnDuplicate } from '../common/pg-errors';
import { validationFailure, type FieldProblem } from '../common/validation';
import type { CreateConnectorDto, UpdateConnectorDto } from './connector.dto';

/**
 * Connectors (SPEC §7): one configured backend of a registered kind. Credentials are one
 * SecretBox envelope (a JSON object), write-only: views say `credentialsSet` and list
 * the names set. The technical prefix is fixed once linked endpoints exist, because
 * their codes are built from it. Creates and updates are audited in their transaction.
 */
export interface ConnectorView {
  id: string;
  kind: string;
  code: string;
  name: string;
  active: boolean;
  baseUrl: string | null;
  credentialsSet: boolean;
  credentialNames: string[];
  settings: Record<string, unknown>;
  technicalPrefix: string;
  createdAt: string;
  updatedAt: string;
}

/** `GET /connectors/:id`: the connector and the endpoints it owns (the seeds' smart buttons). */
export interface ConnectorDetailView extends ConnectorView {
  inboundEndpoint: {
    id: string;
    name: string;
    path: string;
    url: string;
    codeSuffix: string | null;
    active: boolean;
  } | null;
  outboundEndpoints: Array<{
    id: string;
    code: string;
    name: string;
    codeSuffix: string | null;
    state: string;
  }>;
}

@Injectable()
export class ConnectorsService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly connectors: ConnectorsRepository,
    private readonly inboundEndpoints: InboundEndpointsRepository,
    private readonly outboundEndpoints: OutboundEndpointsRepository,
    private readonly changes: ConfigChangePublisher,
    private readonly audit: AuditService,
    @Inject(SECRET_BOX) private readonly secrets: SecretBox,
    @Inject(CONNECTOR_KINDS) private readonly kinds: ConnectorKindRegistry,
  ) {}

  async list(tenantId: string): Promise<ConnectorView[]> {
    return (await this.connectors.listByTenant(tenantId)).map((row) => this.toView(row));
  }

  async get(tenantId: string, id: string): Promise<ConnectorDetailView> {
    const row = await this.row(tenantId, id);
    const [inbound, outbound] = await Promise.all([
      this.inboundEndpoints.findByConnector(id),
      this.outboundEndpoints.findByConnector(id),
    ]);
    return {
      ...this.toView(row),
      inboundEndpoint: inbound[0]
        ? {
            id: inbound[0].id,
            name: inbound[0].name,
            path: inbound[0].path,
            url: `/webhooks/${inbound[0].path}`,
            codeSuffix: inbound[0].codeSuffix ?? null,
            active: inbound[0].active,
          }
        : null,
      outboundEndpoints: outbound.map((e) => ({
        id: e.id,
        code: e.code,
        name: e.name,
        codeSuffix: e.codeSuffix ?? null,
        state: e.state,
      })),
    };
  }

  async create(tenantId: string, dto: CreateConnectorDto): Promise<ConnectorDetailView> {
    const kind = this.kindOf(dto.kind);
    const credentials = dto.credentials ?? {};
    this.check(kind, { credentials, settings: dto.settings ?? {}, baseUrl: dto.baseUrl ?? null });
    const id = randomUUID();
    const technicalPrefix =
      dto.technicalPrefix ?? kind.technicalPrefix({ id, kind: kind.name, code: dto.code });
    await conflictOnDuplicate(
      () =>
        this.dataSource.transaction(async (manager) => {
          const row = await this.connectors.in(manager).insert({
            id,
            tenantId,
            kind: kind.name,
            code: dto.code,
            name: dto.name,
            active: dto.active ?? true,
            baseUrl: dto.baseUrl ?? null,
            credentials: this.seal(credentials),
            settings: dto.settings ?? {},
            technicalPrefix,
          });
          await this.audit.record(manager, null, {
            action: 'connector.create',
            entityType: 'connector',
            entityId: id,
            after: this.toView(row),
          });
        }),
      `a connector with code "${dto.code}" or technical prefix "${technicalPrefix}" already exists`,
    );
    await this.changes.announce({ entity: 'connector', id });
    return this.get(tenantId, id);
  }

  /**
   * A partial update merged onto the row as it is under its lock, in the transaction that
   * writes it: another update committed meanwhile is not overwritten with an earlier copy,
   * and a link (which holds the same lock) cannot slip in between the linked-endpoints
   * check and a technical prefix change.
   */
  async update(
    tenantId: string,
    id: string,
    dto: UpdateConnectorDto,
  ): Promise<ConnectorDetailView> {
    requireUuid(id, 'connector');
    await conflictOnDuplicate(
      () =>
        this.dataSource.transaction(async (manager) => {
          const connectors = this.connectors.in(manager);
          const current = await connectors.findOwned(tenantId, id, { lock: true });
          if (!current) throw new NotFoundException(`connector ${id} not found`);
          const kind = this.kindOf(current.kind);
          const credentials =
            dto.credentials === undefined
              ? this.open(current.credentials)
              : (dto.credentials ?? {});
          const merged = {
            code: dto.code ?? current.code,
            name: dto.name ?? current.name,
            active: dto.active ?? current.active,
            baseUrl: dto.baseUrl === undefined ? (current.baseUrl ?? null) : dto.baseUrl,
            settings: dto.settings ?? current.settings ?? {},
            technicalPrefix: dto.technicalPrefix ?? current.technicalPrefix,
          };
          this.check(kind, { credentials, settings: merged.settings, baseUrl: merged.baseUrl });
          if (
            merged.technicalPrefix !== current.technicalPrefix &&
            (await connectors.hasLinkedEndpoints(id))
          ) {
            throw new ConflictException({
              message:
                'the technical prefix cannot change while linked endpoints exist: their codes are built from it',
              details: { technicalPrefix: current.technicalPrefix },
            });
          }
          const updated = await connectors.update(tenantId, id, {
            ...merged,
            credentials:
              dto.credentials === undefined ? current.credentials : this.seal(credentials),
          });
          await this.audit.record(manager, null, {
            action: 'connector.update',
            entityType: 'connector',
            entityId: id,
            before: this.toView(current),
            after: this.toView(updated),
          });
        }),
      duplicateMessage(dto),
    );
    await this.changes.announce({ entity: 'connector', id });
    return this.get(tenantId, id);
  }

  private kindOf(name: string): ConnectorKind {
    if (!this.kinds.has(name)) {
      throw validationFailure([
        {
          field: 'kind',
          problems: [
            `no connector kind "${name}" is registered (registered: ${this.kinds.names().join(', ') || 'none'})`,
          ],
        },
      ]);
    }
    return this.kinds.get(name);
  }

  private check(
    kind: ConnectorKind,
    config: {
      credentials: Record<string, string>;
      settings: Record<string, unknown>;
      baseUrl: string | null;
    },
  ): void {
    const problems: FieldProblem[] = [];
    const unknown = Object.keys(config.credentials).filter(
      (name) => !kind.credentialKeys.includes(name),
    );
    if (unknown.length > 0) {
      problems.push({
        field: 'credentials',
        problems: [
          `unknown credential(s) ${unknown.join(', ')} for kind "${kind.name}" (known: ${kind.credentialKeys.join(', ') || 'none'})`,
        ],
      });
    }
    problems.push(...kind.configurationProblems(config));
    if (problems.length > 0) throw validationFailure(problems);
  }

  private seal(credentials: Record<string, string>): string | null {
    return Object.keys(credentials).length === 0
      ? null
      : this.secrets.encrypt(JSON.stringify(credentials));
  }

  private open(envelope: string | null): Record<string, string> {
    return envelope ? (JSON.parse(this.secrets.decrypt(envelope)) as Record<string, string>) : {};
  }

  /**
   * Names only. A read must not fail because a key is missing from the configuration
   * (mid-rotation): the names are then unknown, and the dispatcher reports the real error.
   */
  private credentialNames(envelope: string | null): string[] {
    try {
      return Object.keys(this.open(envelope)).sort();
    } catch {
      return [];
    }
  }

  async row(tenantId: string, id: string): Promise<ConnectorEntity> {
    const row = await this.connectors.findOwned(tenantId, requireUuid(id, 'connector'));
    if (!row) throw new NotFoundException(`connector ${id} not found`);
    return row;
  }

  toView(row: ConnectorEntity): ConnectorView {
    return {
      id: row.id,
      kind: row.kind,
      code: row.code,
      name: row.name,
      active: row.active,
      baseUrl: row.baseUrl ?? null,
      credentialsSet: Boolean(row.credentials),
      credentialNames: this.credentialNames(row.credentials),
      settings: row.settings ?? {},
      technicalPrefix: row.technicalPrefix,
      createdAt: row.createdAt.toISOString(),
      updatedAt: row.updatedAt.toISOString(),
    };
  }
}

/** The 409 message of an update whose new code or technical prefix another connector has. */
function duplicateMessage(dto: UpdateConnectorDto): string {
  const taken = [
    dto.code === undefined ? null : `code "${dto.code}"`,
    dto.technicalPrefix === undefined ? null : `technical prefix "${dto.technicalPrefix}"`,
  ].filter((part) => part !== null);
  return `a connector with ${taken.join(' or ')} already exists`;
}
