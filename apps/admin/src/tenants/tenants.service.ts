import { ForbiddenException, Injectable, NotFoundException } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { DEFAULT_TENANT_NAME, TenantsRepository, type TenantEntity } from '@app/persistence';
import { ApiKeysService, type CreatedApiKey } from '../api-keys/api-keys.service';
import { AuditService } from '../audit/audit.service';
import { ConfigChangePublisher } from '../common/config-change.publisher';
import type { Principal } from '../auth/principal';
import { conflictOnDuplicate } from '../common/pg-errors';
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

@Injectable()
export class TenantsService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly tenants: TenantsRepository,
    private readonly keys: ApiKeysService,
    private readonly audit: AuditService,
    private readonly changes: ConfigChangePublisher,
  ) {}

  async get(tenantId: string): Promise<TenantView> {
    const row = await this.tenants.findById(tenantId);
    if (!row) throw new NotFoundException('tenant not found');
    return toView(row);
  }

  async update(tenantId: string, dto: UpdateTenantDto): Promise<TenantView> {
    const updated = await conflictOnDuplicate(
      () =>
        this.dataSource.transaction(async (manager) => {
          const tenants = this.tenants.in(manager);
          const current = await tenants.findById(tenantId, { lock: true });
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
          const updated = await tenants.update(tenantId, {
            name: dto.name ?? current.name,
            retentionDays: dto.retentionDays ?? current.retentionDays,
          });
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
    return (await this.tenants.list()).map(toView);
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
          const row = await this.tenants
            .in(manager)
            .insert({ name: dto.name, retentionDays: dto.retentionDays ?? 30 });
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

function toView(row: TenantEntity): TenantView {
  return {
    id: row.id,
    name: row.name,
    retentionDays: row.retentionDays,
    createdAt: row.createdAt.toISOString(),
  };
}
