import { ConflictException, Injectable, NotFoundException } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { DataSource, type EntityManager } from 'typeorm';
import type { ApiKeyRole } from '@app/persistence';
import { AuditService, type AuditActor } from '../audit/audit.service';
import { hashApiKey } from '../auth/api-key.guard';
import { requireUuid } from '../common/ids';
import { rowsOf } from '../common/pg-errors';

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

type Row = Record<string, unknown>;
const iso = (value: unknown): string | null =>
  value ? new Date(value as string).toISOString() : null;

export function generateApiKey(): string {
  return `hg_${randomBytes(32).toString('base64url')}`;
}

@Injectable()
export class ApiKeysService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly audit: AuditService,
  ) {}

  async list(tenantId: string): Promise<ApiKeyView[]> {
    const rows: Row[] = await this.dataSource.query(
      `SELECT * FROM api_keys WHERE tenant_id = $1 ORDER BY created_at DESC, id DESC`,
      [tenantId],
    );
    return rows.map(toView);
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
    const [row]: Row[] = await manager.query(
      `INSERT INTO api_keys (tenant_id, name, role, key_hash, key_prefix)
       VALUES ($1, $2, $3, $4, $5) RETURNING *`,
      [tenantId, name.trim(), role, hashApiKey(key), key.slice(0, 12)],
    );
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
      const admins = rowsOf<{ id: string }>(
        await manager.query(
          `SELECT id FROM api_keys WHERE tenant_id = $1 AND role = 'admin' AND revoked_at IS NULL
            ORDER BY id FOR UPDATE`,
          [tenantId],
        ),
      );
      const [current]: Row[] = await manager.query(
        `SELECT * FROM api_keys WHERE id = $1 AND tenant_id = $2 FOR UPDATE`,
        [id, tenantId],
      );
      if (!current) throw new NotFoundException(`API key ${id} not found`);
      if (current.revoked_at) return toView(current);
      if (current.role === 'admin' && admins.length <= 1) {
        throw new ConflictException(
          'this is the last active admin key of the tenant; create another admin key first',
        );
      }
      const [revoked]: Row[] = rowsOf<Row>(
        await manager.query(
          `UPDATE api_keys SET revoked_at = now() WHERE id = $1 AND tenant_id = $2 RETURNING *`,
          [id, tenantId],
        ),
      );
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

function toView(row: Row): ApiKeyView {
  return {
    id: String(row.id),
    name: String(row.name),
    role: row.role as ApiKeyRole,
    prefix: String(row.key_prefix),
    createdAt: iso(row.created_at)!,
    lastUsedAt: iso(row.last_used_at),
    revokedAt: iso(row.revoked_at),
  };
}
