import type { DataSource, EntityManager } from 'typeorm';
import { rowsOf } from '@app/persistence';
import { hashApiKey } from './api-key.guard';

/**
 * Makes `ADMIN_API_KEY` the default tenant's bootstrap admin key, and the only one: the
 * bootstrap keys of earlier ADMIN_API_KEY values are revoked (audited, actor `system`), so
 * changing the variable really retires the old key. A key an operator revoked through the
 * API stays revoked (set a new ADMIN_API_KEY to recover); a key revoked only because the
 * variable changed is valid again when it is configured again, so two admin processes
 * started one after the other with different keys leave the later one's key valid. Without
 * ADMIN_API_KEY nothing changes.
 */
export const BOOTSTRAP_KEY_NAME = 'bootstrap (ADMIN_API_KEY)';
const SUPERSEDED = 'ADMIN_API_KEY changed';

export interface BootstrapKeyOutcome {
  /** Earlier bootstrap keys revoked by this start. */
  revoked: number;
  /** The configured key was revoked by an operator: it does not work. */
  configuredRevoked: boolean;
}

type Row = Record<string, unknown>;

export async function ensureBootstrapKey(
  dataSource: DataSource,
  key: string | undefined,
): Promise<BootstrapKeyOutcome> {
  if (!key) return { revoked: 0, configuredRevoked: false };
  const keyHash = hashApiKey(key);
  return dataSource.transaction(async (manager) => {
    // Admin replicas booting at once take turns; the last one's key wins.
    await manager.query(`SELECT pg_advisory_xact_lock(hashtext('hookgate:bootstrap-key'))`);
    await manager.query(
      `INSERT INTO api_keys (tenant_id, name, role, key_hash, key_prefix, bootstrap)
       SELECT id, $3, 'admin', $1, $2, true FROM tenants WHERE name = 'default'
       ON CONFLICT (key_hash) DO NOTHING`,
      [keyHash, key.slice(0, 8), BOOTSTRAP_KEY_NAME],
    );
    const [configured]: Row[] = await manager.query(
      `SELECT * FROM api_keys WHERE key_hash = $1 FOR UPDATE`,
      [keyHash],
    );
    if (configured.revoked_at && configured.revoked_reason === SUPERSEDED) {
      const [reinstated]: Row[] = rowsOf<Row>(
        await manager.query(
          `UPDATE api_keys SET revoked_at = NULL, revoked_reason = NULL WHERE id = $1 RETURNING *`,
          [configured.id],
        ),
      );
      await audit(manager, 'api-key.reinstate', configured, reinstated);
    }
    const revoked: Row[] = rowsOf<Row>(
      await manager.query(
        `UPDATE api_keys SET revoked_at = now(), revoked_reason = $2
          WHERE bootstrap AND revoked_at IS NULL AND id <> $1
          RETURNING *`,
        [configured.id, SUPERSEDED],
      ),
    );
    for (const row of revoked) {
      await audit(manager, 'api-key.revoke', { ...row, revoked_at: null }, row);
    }
    return {
      revoked: revoked.length,
      configuredRevoked: Boolean(configured.revoked_at) && configured.revoked_reason !== SUPERSEDED,
    };
  });
}

/** The audit entry, as AuditService writes it (that service needs Nest, not yet started). */
async function audit(manager: EntityManager, action: string, before: Row, after: Row) {
  await manager.query(
    `INSERT INTO audit_entries (tenant_id, api_key_id, actor, action, entity_type, entity_id, before, after)
     VALUES ($1, NULL, 'system', $2, 'api-key', $3, $4::jsonb, $5::jsonb)`,
    [
      after.tenant_id,
      action,
      String(after.id),
      JSON.stringify(view(before)),
      JSON.stringify(view(after)),
    ],
  );
}

function view(row: Row): Record<string, unknown> {
  const iso = (value: unknown) => (value ? new Date(value as string).toISOString() : null);
  return {
    id: String(row.id),
    name: String(row.name),
    role: row.role,
    prefix: String(row.key_prefix),
    createdAt: iso(row.created_at),
    lastUsedAt: iso(row.last_used_at),
    revokedAt: iso(row.revoked_at),
    ...(row.revoked_reason ? { revokedReason: row.revoked_reason } : {}),
  };
}
