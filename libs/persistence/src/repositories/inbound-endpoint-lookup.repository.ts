import type { DataSource } from 'typeorm';
import type { IdentityConfig, SignatureConfig, TimestampConfig, ValueSource } from '@app/core';

/** An active inbound endpoint as the receiver resolves it (secrets still encrypted). */
export interface InboundEndpointLookupRow {
  id: string;
  tenant_id: string;
  path: string;
  max_body_bytes: number;
  signature: SignatureConfig | null;
  identity: IdentityConfig | null;
  timestamp: TimestampConfig | null;
  semantic_bindings: Array<{ name: string; source: ValueSource }> | null;
  handshakes: {
    slack?: boolean;
    meta?: { verifyToken?: string };
    zoom?: { secretToken?: string };
    metaVerifyTokenSet?: boolean;
    zoomSecretSet?: boolean;
  } | null;
  secrets: Record<string, string> | null;
  rejected_per_minute: number;
}

/**
 * `inbound_endpoints` as the receiver reads it: the active endpoint at a path (with a
 * handler). Its answers are cached by the gateway's EndpointCache; the admin side's
 * writes to the table live in its own repository.
 */
export class InboundEndpointLookupRepository {
  constructor(private readonly dataSource: DataSource) {}

  async findActiveByPath(path: string): Promise<InboundEndpointLookupRow | null> {
    const rows: InboundEndpointLookupRow[] = await this.dataSource.query(
      `SELECT e.id, e.tenant_id, e.path, e.max_body_bytes, e.signature, e.identity, e.timestamp,
              e.semantic_bindings, e.handshakes, e.secrets, e.rejected_per_minute
         FROM inbound_endpoints e
         JOIN handlers h ON h.id = e.handler_id
        WHERE e.path = $1 AND e.active = true`,
      [path],
    );
    return rows[0] ?? null;
  }
}
