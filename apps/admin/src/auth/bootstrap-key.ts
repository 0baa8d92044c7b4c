import type { DataSource } from 'typeorm';
import { ApiKeysRepository, AuditRepository, type ApiKeyRow } from '@app/persistence';
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

export async function ensureBootstrapKey(
  dataSource: DataSource,
  key: string | undefined,
): Promise<BootstrapKeyOutcome> {
  if (!key) return { revoked: 0, configuredRevoked: false };
  const keyHash = hashApiKey(key);
  return dataSource.transaction(async (manager) => {
    const keys = new ApiKeysRepository(manager);
    // Admin replicas booting at once take turns; the last one's key wins.
    await keys.lockBootstrap();
    await keys.insertBootstrapIfAbsent(keyHash, key.slice(0, 8), BOOTSTRAP_KEY_NAME);
    const configured = (await keys.lockByHash(keyHash)) as ApiKeyRow;
    const audit = new AuditRepository(manager);
    if (configured.revoked_at && configured.revoked_reason === SUPERSEDED) {
      const reinstated = await keys.reinstate(configured.id);
      await systemAudit(audit, 'api-key.reinstate', configured, reinstated);
    }
    const revoked = await keys.revokeOtherBootstraps(configured.id, SUPERSEDED);
    for (const row of revoked) {
      await systemAudit(audit, 'api-key.revoke', { ...row, revoked_at: null }, row);
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
    const keys = new ApiKeysRepository(manager);
    await keys.lockBootstrap();
    if (await keys.defaultTenantHasLiveAdmin()) return { kind: 'present' };
    if (options.production) return { kind: 'missing' };
    const key = generateApiKey();
    const created = await keys.insertBootstrap(
      hashApiKey(key),
      key.slice(0, 12),
      FIRST_RUN_KEY_NAME,
    );
    await new AuditRepository(manager).insert({
      tenantId: String(created.tenant_id),
      apiKeyId: null,
      actor: 'system',
      action: 'api-key.create',
      entityType: 'api-key',
      entityId: String(created.id),
      after: view(created),
    });
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
async function systemAudit(
  audit: AuditRepository,
  action: string,
  before: ApiKeyRow,
  after: ApiKeyRow,
): Promise<void> {
  await audit.insert({
    tenantId: String(after.tenant_id),
    apiKeyId: null,
    actor: 'system',
    action,
    entityType: 'api-key',
    entityId: String(after.id),
    before: view(before),
    after: view(after),
  });
}

function view(row: ApiKeyRow): Record<string, unknown> {
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
