import { ForbiddenException, Injectable, NotFoundException } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { DEFAULT_TENANT_NAME } from '@app/persistence';
import { ApiKeysService, type CreatedApiKey } from '../api-keys/api-keys.service';
import { AuditService } from '../audit/audit.service';
import { ConfigChangePublisher } from '../common/config-change.publisher';
import type { Principal } from '../auth/principal';
import { conflictOnDuplicate, rowsOf } from '../common/pg-errors';
import { validationFailure } from '../common/validation';
import type { CreateTenantDto, UpdateTenantDto } from './tenant.dto';

/**
 * Tenants (SPEC §3). The `default` tenant is the operator's own: its admin keys create
 * other tenants, each answered with its first admin key (shown once). Inside a tenant,
 * admins change its own settings (name, retention); nobody reaches another tenant's.
 * `default` keeps its name: the bootstrap key and publishers without `tenant` rely on it.
 */
export interface TenantView {
  id: string;
  name: string;
  retentionDays: number;
  createdAt: string;
}

type Row = Record<string, unknown>;

@Injectable()
export class TenantsService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly keys: ApiKeysService,
    private readonly audit: AuditService,
    private readonly changes: ConfigChangePublisher,
  ) {}

  async get(tenantId: string): Promise<TenantView> {
    const [row]: Row[] = await this.dataSource.query(`SELECT * FROM tenants WHERE id = $1`, [
      tenantId,
    ]);
    if (!row) throw new NotFoundException('tenant not found');
    return toView(row);
  }

  async update(tenantId: string, dto: UpdateTenantDto): Promise<TenantView> {
    const updated = await conflictOnDuplicate(
      () =>
        this.dataSource.transaction(async (manager) => {
          const [current]: Row[] = await manager.query(
            `SELECT * FROM tenants WHERE id = $1 FOR UPDATE`,
            [tenantId],
          );
          if (!current) throw new NotFoundException('tenant not found');
          if (
            current.name === DEFAULT_TENANT_NAME &&
            dto.name !== undefined &&
            dto.name !== DEFAULT_TENANT_NAME
          ) {
            throw validationFailure([
              { field: 'name', problems: ['the default tenant cannot be renamed'] },
            ]);
          }
          const [updated] = rowsOf<Row>(
            await manager.query(
              `UPDATE tenants SET name = $2, retention_days = $3 WHERE id = $1 RETURNING *`,
              [tenantId, dto.name ?? current.name, dto.retentionDays ?? current.retention_days],
            ),
          );
          await this.audit.record(manager, null, {
            action: 'tenant.update',
            entityType: 'tenant',
            entityId: tenantId,
            before: toView(current),
            after: toView(updated),
          });
          return toView(updated);
        }),
      `a tenant named "${dto.name}" already exists`,
    );
    // Publishers name tenants: the dispatchers' intake must stop resolving the old name
    // before this answer reaches the caller.
    await this.changes.announce({ entity: 'tenant', id: tenantId });
    return updated;
  }

  async list(principal: Principal): Promise<TenantView[]> {
    await this.requireOperatorTenant(principal);
    const rows: Row[] = await this.dataSource.query(`SELECT * FROM tenants ORDER BY name`);
    return rows.map(toView);
  }

  /** A new tenant and its first admin key, in one transaction, audited in both tenants. */
  async create(
    principal: Principal,
    dto: CreateTenantDto,
  ): Promise<{ tenant: TenantView; adminKey: CreatedApiKey }> {
    await this.requireOperatorTenant(principal);
    return conflictOnDuplicate(
      () =>
        this.dataSource.transaction(async (manager) => {
          const [row]: Row[] = await manager.query(
            `INSERT INTO tenants (name, retention_days) VALUES ($1, $2) RETURNING *`,
            [dto.name, dto.retentionDays ?? 30],
          );
          const tenant = toView(row);
          const entry = {
            action: 'tenant.create',
            entityType: 'tenant',
            entityId: tenant.id,
            after: tenant,
          };
          await this.audit.record(manager, principal, entry);
          await this.audit.record(manager, { ...principal, tenantId: tenant.id }, entry);
          const adminKey = await this.keys.createIn(
            manager,
            principal,
            tenant.id,
            dto.adminKeyName ?? 'initial admin',
            'admin',
          );
          return { tenant, adminKey };
        }),
      `a tenant named "${dto.name}" already exists`,
    );
  }

  /** Only the default tenant's keys manage tenants (the route also needs the admin role). */
  private async requireOperatorTenant(principal: Principal): Promise<void> {
    const own = await this.get(principal.tenantId);
    if (own.name !== DEFAULT_TENANT_NAME) {
      throw new ForbiddenException('only admin keys of the default tenant manage tenants');
    }
  }
}

function toView(row: Row): TenantView {
  return {
    id: String(row.id),
    name: String(row.name),
    retentionDays: Number(row.retention_days),
    createdAt: new Date(row.created_at as string).toISOString(),
  };
}
