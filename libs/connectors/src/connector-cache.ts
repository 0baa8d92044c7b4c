import type { DataSource } from 'typeorm';
import { ConnectorsRepository, type ConnectorEntity, type SecretBox } from '@app/persistence';
import { LookupCache } from '@app/platform/lookup-cache';
import type { ConnectorSource } from './connector-kind-registry';
import type { ConnectorRuntime } from './connector.types';

/**
 * Connectors as the workers use them, credentials decrypted, cached per id for a few
 * seconds and dropped on a configuration-change announcement (so deactivating a
 * connector stops its deliveries at once).
 */
export class ConnectorCache extends LookupCache<ConnectorRuntime> implements ConnectorSource {
  constructor(dataSource: DataSource, secrets: SecretBox, ttlMs: number) {
    const connectors = new ConnectorsRepository(dataSource);
    super(
      async (id) => {
        const row = await connectors.findById(id);
        return row ? toRuntime(row, secrets) : null;
      },
      { ttlMs },
    );
  }
}

/** A connectors row with its credentials envelope opened. */
export function toRuntime(row: ConnectorEntity, secrets: SecretBox): ConnectorRuntime {
  return {
    id: row.id,
    tenantId: row.tenantId,
    kind: row.kind,
    code: row.code,
    name: row.name,
    active: row.active,
    baseUrl: row.baseUrl ?? null,
    credentials: row.credentials
      ? (JSON.parse(secrets.decrypt(row.credentials)) as Record<string, string>)
      : {},
    settings: row.settings ?? {},
    technicalPrefix: row.technicalPrefix,
  };
}
