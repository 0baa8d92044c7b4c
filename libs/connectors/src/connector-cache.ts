import type { DataSource } from 'typeorm';
import type { SecretBox } from '@app/persistence';
import type { ConnectorSource } from './connector-kind-registry';
import type { ConnectorRuntime } from './connector.types';

/**
 * Connectors as the workers use them, credentials decrypted, cached per id for a few
 * seconds and dropped on a configuration-change announcement (so deactivating a
 * connector stops its deliveries at once).
 */
type Row = Record<string, unknown>;

export class ConnectorCache implements ConnectorSource {
  private readonly entries = new Map<string, { value: ConnectorRuntime | null; expires: number }>();

  constructor(
    private readonly dataSource: DataSource,
    private readonly secrets: SecretBox,
    private readonly ttlMs: number,
  ) {}

  invalidate(id?: string): void {
    if (id === undefined) this.entries.clear();
    else this.entries.delete(id);
  }

  async get(id: string): Promise<ConnectorRuntime | null> {
    const hit = this.entries.get(id);
    if (hit && hit.expires > Date.now()) return hit.value;
    const rows: Row[] = await this.dataSource.query(`SELECT * FROM connectors WHERE id = $1`, [id]);
    const value = rows[0] ? toRuntime(rows[0], this.secrets) : null;
    if (this.entries.size > 10_000) this.entries.clear();
    this.entries.set(id, { value, expires: Date.now() + this.ttlMs });
    return value;
  }
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
