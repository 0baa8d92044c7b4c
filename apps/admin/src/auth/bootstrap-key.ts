import type { DataSource, EntityManager } from 'typeorm';
import { rowsOf } from '@app/persistence';
import { generateApiKey } from '../api-keys/api-keys.service';
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

export const FIRST_RUN_KEY_NAME = 'first run (generated)';

export type FirstRunOutcome =
  /** An admin key exists (or ADMIN_API_KEY is set): nothing to do. */
  | { kind: 'present' }
  /** No admin key existed: this start created one, shown here and never again. */
  | { kind: 'created'; key: string }
  /** Production without any admin key: the admin API cannot be used until one is set. */
  | { kind: 'missing' };

/**
 * The first start without ADMIN_API_KEY: when the default tenant has no live admin key,
 * outside production one is generated, stored hashed (a bootstrap key, so configuring
 * ADMIN_API_KEY later retires it) and returned once for the app to print; in production
 * nothing is created and the caller says how to set one. Admin processes starting together
 * take the bootstrap-key lock in turn, so only the first creates a key and the others find it.
 */
export async function ensureFirstRunKey(
  dataSource: DataSource,
  options: { configuredKey: string | undefined; production: boolean },
): Promise<FirstRunOutcome> {
  if (options.configuredKey) return { kind: 'present' };
  return dataSource.transaction(async (manager) => {
    await manager.query(`SELECT pg_advisory_xact_lock(hashtext('hookgate:bootstrap-key'))`);
    const live: Row[] = await manager.query(
      `SELECT 1 FROM api_keys k JOIN tenants t ON t.id = k.tenant_id
        WHERE t.name = 'default' AND k.role = 'admin' AND k.revoked_at IS NULL
        LIMIT 1`,
    );
    if (live.length > 0) return { kind: 'present' };
    if (options.production) return { kind: 'missing' };
    const key = generateApiKey();
    const [created]: Row[] = await manager.query(
      `INSERT INTO api_keys (tenant_id, name, role, key_hash, key_prefix, bootstrap)
       SELECT id, $3, 'admin', $1, $2, true FROM tenants WHERE name = 'default'
       RETURNING *`,
      [hashApiKey(key), key.slice(0, 12), FIRST_RUN_KEY_NAME],
    );
    await manager.query(
      `INSERT INTO audit_entries (tenant_id, api_key_id, actor, action, entity_type, entity_id, after)
       VALUES ($1, NULL, 'system', 'api-key.create', 'api-key', $2, $3::jsonb)`,
      [created.tenant_id, String(created.id), JSON.stringify(view(created))],
    );
    return { kind: 'created', key };
  });
}

/** What the admin app prints once, on stdout, when it created the first-run key. */
export function firstRunBanner(key: string, adminUrl: string): string {
  return [
    '',
    'hookgate: first run, no admin key existed, so one was created for the default tenant.',
    'It is stored hashed and shown only this once:',
    '',
    `    export ADMIN_API_KEY=${key}`,
    '',
    `  console: ${adminUrl}/console (sign in with the key)`,
    `  API:     ${adminUrl}/api/v1 (OpenAPI at ${adminUrl}/api/docs)`,
    '',
    'Setting ADMIN_API_KEY yourself later retires this key.',
    '',
  ].join('\n');
}

/** The log line of a production start without any admin key. */
export const NO_ADMIN_KEY_MESSAGE =
  'No admin API key exists and ADMIN_API_KEY is unset: the admin API refuses every call. ' +
  'Set ADMIN_API_KEY to a secret of at least 16 characters (e.g. `openssl rand -base64 32`) ' +
  "and restart the admin app; it becomes the default tenant's admin key.";

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
