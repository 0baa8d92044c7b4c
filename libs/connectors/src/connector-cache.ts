import type { DataSource } from 'typeorm';
import type { SecretBox } from '@app/persistence';
import { LookupCache } from '@app/platform/lookup-cache';
import type { ConnectorSource } from './connector-kind-registry';
import type { ConnectorRuntime } from './connector.types';

/**
 * Connectors as the workers use them, credentials decrypted, cached per id for a few
 * seconds and dropped on a configuration-change announcement (so deactivating a
 * connector stops its deliveries at once).
 */
type Row = Record<string, unknown>;

export class ConnectorCache extends LookupCache<ConnectorRuntime> implements ConnectorSource {
  constructor(dataSource: DataSource, secrets: SecretBox, ttlMs: number) {
    super((id) => loadConnector(dataSource, secrets, id), { ttlMs });
  }
}

async function loadConnector(
  db: DataSource,
  secrets: SecretBox,
  id: string,
): Promise<ConnectorRuntime | null> {
  const rows: Row[] = await db.query(`SELECT * FROM connectors WHERE id = $1`, [id]);
  return rows[0] ? toRuntime(rows[0], secrets) : null;
}

/** A connectors row with its credentials envelope opened. */
export function toRuntime(row: Row, secrets: SecretBox): ConnectorRuntime {
  const envelope = row.credentials as string | null;
  return {
    id: String(row.id),
    tenantId: String(row.tenant_id),
    kind: String(row.kind),
    code: String(row.code),
    name: String(row.name),
    active: Boolean(row.active),
    baseUrl: (row.base_url as string | null) ?? null,
    credentials: envelope ? (JSON.parse(secrets.decrypt(envelope)) as Record<string, string>) : {},
    settings: (row.settings as Record<string, unknown> | null) ?? {},
    technicalPrefix: String(row.technical_prefix),
  };
}
