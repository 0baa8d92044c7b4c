import type { DataSource } from 'typeorm';
import { hashApiKey } from './api-key.guard';

/**
 * Ensures `ADMIN_API_KEY` exists as an admin key of the default tenant (idempotent). A
 * bootstrap key an operator revoked stays revoked: set a new ADMIN_API_KEY to recover.
 */
export async function ensureBootstrapKey(
  dataSource: DataSource,
  key: string | undefined,
): Promise<void> {
  if (!key) return;
  await dataSource.query(
    `INSERT INTO api_keys (tenant_id, name, role, key_hash, key_prefix)
     SELECT id, 'bootstrap (ADMIN_API_KEY)', 'admin', $1, $2 FROM tenants WHERE name = 'default'
     ON CONFLICT (key_hash) DO NOTHING`,
    [hashApiKey(key), key.slice(0, 8)],
  );
}
