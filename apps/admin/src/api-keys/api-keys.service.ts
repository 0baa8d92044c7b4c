import { ConflictException, Injectable, NotFoundException } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { DataSource, type EntityManager } from 'typeorm';
import { ApiKeysRepository, type ApiKeyEntity, type ApiKeyRole } from '@app/persistence';
import { AuditService, type AuditActor } from '../audit/audit.service';
import { hashApiKey } from '../auth/api-key.guard';
import { requireUuid } from '../common/ids';

/**
 * Admin API keys of a tenant (SPEC §3). A key is 32 random bytes, stored only as its
 * SHA-256; the plaintext is answered once, by create. Revocation sets `revoked_at`, and
 * ApiKeyGuard looks keys up on every request, so the next request with it is a 401. The
 * last active admin key of a tenant cannot be revoked: that would lock the tenant out.
 */
export interface ApiKeyView {
  id: string;
  name: string;
  role: ApiKeyRole;
  /** The first characters of the key, to tell keys apart. */
  prefix: string;
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

export interface CreatedApiKey extends ApiKeyView {
  /** The key itself: shown this once, never again. */
  key: string;
}

const iso = (value: Date | null): string | null => (value ? value.toISOString() : null);

export function generateApiKey(): string {
  return `hg_${randomBytes(32).toString('base64url')}`;
}

@Injectable()
export class ApiKeysService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly keys: ApiKeysRepository,
    private readonly audit: AuditService,
  ) {}

  async list(tenantId: string): Promise<ApiKeyView[]> {
    return (await this.keys.listByTenant(tenantId)).map(toView);
  }

  async create(tenantId: string, name: string, role: ApiKeyRole): Promise<CreatedApiKey> {
    return this.dataSource.transaction((manager) =>
      this.createIn(manager, null, tenantId, name, role),
    );
  }

  /** Inside a caller's transaction (a new tenant's first key); audited in `tenantId`. */
  async createIn(
    manager: EntityManager,
    actor: AuditActor | null,
    tenantId: string,
    name: string,
    role: ApiKeyRole,
  ): Promise<CreatedApiKey> {
    const key = generateApiKey();
    const row = await this.keys.in(manager).insert({
      tenantId,
      name: name.trim(),
      role,
      keyHash: hashApiKey(key),
      keyPrefix: key.slice(0, 12),
    });
    const view = toView(row);
    await this.audit.record(manager, actor ? { ...actor, tenantId } : null, {
      action: 'api-key.create',
      entityType: 'api-key',
      entityId: view.id,
      after: view,
    });
    return { ...view, key };
  }

  async revoke(tenantId: string, id: string): Promise<ApiKeyView> {
    requireUuid(id, 'API key');
    return this.dataSource.transaction(async (manager) => {
      // Locks the tenant's active admin keys (in id order: no deadlock between two revocations),
      // so two revocations cannot both pass the last-admin check.
      const keys = this.keys.in(manager);
      const admins = await keys.lockActiveAdmins(tenantId);
      const current = await keys.lockOwned(tenantId, id);
      if (!current) throw new NotFoundException(`API key ${id} not found`);
      if (current.revokedAt) return toView(current);
      if (current.role === 'admin' && admins.length <= 1) {
        throw new ConflictException(
          'this is the last active admin key of the tenant; create another admin key first',
        );
      }
      const revoked = await keys.revoke(tenantId, id);
      await this.audit.record(manager, null, {
        action: 'api-key.revoke',
        entityType: 'api-key',
        entityId: id,
        before: toView(current),
        after: toView(revoked),
      });
      return toView(revoked);
    });
  }
}

function toView(row: ApiKeyEntity): ApiKeyView {
  return {
    id: row.id,
    name: row.name,
    role: row.role,
    prefix: row.keyPrefix,
    createdAt: row.createdAt.toISOString(),
    lastUsedAt: iso(row.lastUsedAt),
    revokedAt: iso(row.revokedAt),
  };
}
