import { ConflictException, Inject, Injectable, NotFoundException } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { CONNECTOR_KINDS, type ConnectorKind, type ConnectorKindRegistry } from '@app/connectors';
import type { SecretBox } from '@app/persistence';
import { SECRET_BOX } from '@app/platform';
import { AuditService } from '../audit/audit.service';
import { ConfigChangePublisher } from '../common/config-change.publisher';
import { requireUuid } from '../common/ids';
import { conflictOnDuplicate, rowsOf } from '../common/pg-errors';
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

type Row = Record<string, unknown>;

@Injectable()
export class ConnectorsService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly changes: ConfigChangePublisher,
    private readonly audit: AuditService,
    @Inject(SECRET_BOX) private readonly secrets: SecretBox,
    @Inject(CONNECTOR_KINDS) private readonly kinds: ConnectorKindRegistry,
  ) {}

  async list(tenantId: string): Promise<ConnectorView[]> {
    const rows: Row[] = await this.dataSource.query(
      `SELECT * FROM connectors WHERE tenant_id = $1 ORDER BY code`,
      [tenantId],
    );
    return rows.map((row) => this.toView(row));
  }

  async get(tenantId: string, id: string): Promise<ConnectorDetailView> {
    const row = await this.row(tenantId, id);
    const [inbound, outbound]: [Row[], Row[]] = await Promise.all([
      this.dataSource.query(
        `SELECT id, name, path, code_suffix, active FROM inbound_endpoints WHERE connector_id = $1`,
        [id],
      ),
      this.dataSource.query(
        `SELECT id, code, name, code_suffix, state FROM outbound_endpoints WHERE connector_id = $1 ORDER BY code`,
        [id],
      ),
    ]);
    return {
      ...this.toView(row),
      inboundEndpoint: inbound[0]
        ? {
            id: String(inbound[0].id),
            name: String(inbound[0].name),
            path: String(inbound[0].path),
            url: `/webhooks/${String(inbound[0].path)}`,
            codeSuffix: (inbound[0].code_suffix as string | null) ?? null,
            active: Boolean(inbound[0].active),
          }
        : null,
      outboundEndpoints: outbound.map((e) => ({
        id: String(e.id),
        code: String(e.code),
        name: String(e.name),
        codeSuffix: (e.code_suffix as string | null) ?? null,
        state: String(e.state),
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
          const [row]: Row[] = await manager.query(
            `INSERT INTO connectors (id, tenant_id, kind, code, name, active, base_url, credentials, settings, technical_prefix)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING *`,
            [
              id,
              tenantId,
              kind.name,
              dto.code,
              dto.name,
              dto.active ?? true,
              dto.baseUrl ?? null,
              this.seal(credentials),
              dto.settings ?? {},
              technicalPrefix,
            ],
          );
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

  async update(
    tenantId: string,
    id: string,
    dto: UpdateConnectorDto,
  ): Promise<ConnectorDetailView> {
    const current = await this.row(tenantId, id);
    const kind = this.kindOf(String(current.kind));
    const credentials =
      dto.credentials === undefined
        ? this.open(current.credentials as string | null)
        : (dto.credentials ?? {});
    const merged = {
      code: dto.code ?? String(current.code),
      name: dto.name ?? String(current.name),
      active: dto.active ?? Boolean(current.active),
      baseUrl:
        dto.baseUrl === undefined ? ((current.base_url as string | null) ?? null) : dto.baseUrl,
      settings: dto.settings ?? (current.settings as Record<string, unknown> | null) ?? {},
      technicalPrefix: dto.technicalPrefix ?? String(current.technical_prefix),
    };
    this.check(kind, { credentials, settings: merged.settings, baseUrl: merged.baseUrl });
    if (merged.technicalPrefix !== current.technical_prefix && (await this.hasLinked(id))) {
      throw new ConflictException({
        message:
          'the technical prefix cannot change while linked endpoints exist: their codes are built from it',
        details: { technicalPrefix: current.technical_prefix },
      });
    }
    await conflictOnDuplicate(
      () =>
        this.dataSource.transaction(async (manager) => {
          const rows = rowsOf<Row>(
            await manager.query(
              `UPDATE connectors
                SET code = $3, name = $4, active = $5, base_url = $6, credentials = $7, settings = $8,
                    technical_prefix = $9, updated_at = now()
              WHERE id = $1 AND tenant_id = $2 RETURNING *`,
              [
                id,
                tenantId,
                merged.code,
                merged.name,
                merged.active,
                merged.baseUrl,
                dto.credentials === undefined
                  ? (current.credentials as string | null)
                  : this.seal(credentials),
                merged.settings,
                merged.technicalPrefix,
              ],
            ),
          );
          await this.audit.record(manager, null, {
            action: 'connector.update',
            entityType: 'connector',
            entityId: id,
            before: this.toView(current),
            after: this.toView(rows[0]),
          });
        }),
      `a connector with code "${merged.code}" or technical prefix "${merged.technicalPrefix}" already exists`,
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

  private async hasLinked(id: string): Promise<boolean> {
    const rows: unknown[] = await this.dataSource.query(
      `SELECT 1 FROM inbound_endpoints WHERE connector_id = $1
       UNION ALL SELECT 1 FROM outbound_endpoints WHERE connector_id = $1 LIMIT 1`,
      [id],
    );
    return rows.length > 0;
  }

  async row(tenantId: string, id: string): Promise<Row> {
    const rows: Row[] = await this.dataSource.query(
      `SELECT * FROM connectors WHERE id = $1 AND tenant_id = $2`,
      [requireUuid(id, 'connector'), tenantId],
    );
    if (!rows[0]) throw new NotFoundException(`connector ${id} not found`);
    return rows[0];
  }

  toView(row: Row): ConnectorView {
    const envelope = row.credentials as string | null;
    return {
      id: String(row.id),
      kind: String(row.kind),
      code: String(row.code),
      name: String(row.name),
      active: Boolean(row.active),
      baseUrl: (row.base_url as string | null) ?? null,
      credentialsSet: Boolean(envelope),
      credentialNames: this.credentialNames(envelope),
      settings: (row.settings as Record<string, unknown> | null) ?? {},
      technicalPrefix: String(row.technical_prefix),
      createdAt: new Date(row.created_at as string).toISOString(),
      updatedAt: new Date(row.updated_at as string).toISOString(),
    };
  }
}
