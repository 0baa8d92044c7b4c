import type { DataSource } from 'typeorm';
import { withRetryDefaults, type RequestSpec, type RetryPolicy } from '@app/core';
import { LookupCache } from '@app/platform';
import {
  withAuthSecret,
  withSigningSecret,
  type SecretBox,
  type StoredEndpointAuth,
  type StoredOutboundSigning,
} from '@app/persistence';

/**
 * The dispatcher's view of an outbound endpoint: request spec with secrets decrypted,
 * retry policy with defaults, health and rate settings. Cached per id for a few seconds
 * and dropped on a configuration-change announcement.
 */
export interface OutboundEndpointRuntime {
  id: string;
  tenantId: string;
  code: string;
  state: 'draft' | 'active' | 'archived';
  disabled: boolean;
  handlerId: string | null;
  connectorId: string | null;
  codeSuffix: string | null;
  timeoutMs: number;
  spec: RequestSpec;
  retryPolicy: RetryPolicy;
  rateLimitPerSecond: number | null;
  health: { disableAfterFailures: number | null; disableAfterSeconds: number };
}

type Row = Record<string, unknown>;
type Secrets = Record<string, string>;

export const DEFAULT_DISABLE_AFTER_SECONDS = 5 * 86_400;

export class OutboundEndpointCache extends LookupCache<OutboundEndpointRuntime> {
  constructor(dataSource: DataSource, secrets: SecretBox, ttlMs: number) {
    super(
      async (id) => {
        const [row] = (await dataSource.query(`SELECT * FROM outbound_endpoints WHERE id = $1`, [
          id,
        ])) as Row[];
        return row ? toEndpointRuntime(row, secrets) : null;
      },
      { ttlMs },
    );
  }
}

function toEndpointRuntime(row: Row, box: SecretBox): OutboundEndpointRuntime {
  const secrets = (row.secrets as Secrets | null) ?? {};
  const secret = (name: string): string => (secrets[name] ? box.decrypt(secrets[name]) : '');
  const health = (row.health as Row | null) ?? {};
  return {
    id: String(row.id),
    tenantId: String(row.tenant_id),
    code: String(row.code),
    state: row.state as OutboundEndpointRuntime['state'],
    disabled: row.disabled_at !== null && row.disabled_at !== undefined,
    handlerId: (row.handler_id as string | null) ?? null,
    connectorId: (row.connector_id as string | null) ?? null,
    codeSuffix: (row.code_suffix as string | null) ?? null,
    timeoutMs: Number(row.timeout_ms ?? 10_000),
    spec: {
      method: row.method as RequestSpec['method'],
      bodyMode: row.body_mode as RequestSpec['bodyMode'],
      targetHost: String(row.target_host ?? ''),
      targetPath: String(row.target_path ?? ''),
      headerRules: (row.header_rules as RequestSpec['headerRules']) ?? [],
      payloadRules: (row.payload_rules as RequestSpec['payloadRules']) ?? [],
      replacePayload: Boolean(row.replace_payload),
      signing: withSigningSecret(
        (row.signing as StoredOutboundSigning | null) ?? { type: 'none' },
        secret('signingSecret'),
      ),
      auth: withAuthSecret(
        (row.auth as StoredEndpointAuth | null) ?? { type: 'none' },
        secret('authSecret'),
      ),
    },
    retryPolicy: withRetryDefaults(row.retry_policy as Partial<RetryPolicy> | null),
    rateLimitPerSecond: (row.rate_limit_per_second as number | null) ?? null,
    health: {
      disableAfterFailures: (health.disableAfterFailures as number | undefined) ?? null,
      disableAfterSeconds:
        (health.disableAfterSeconds as number | undefined) ?? DEFAULT_DISABLE_AFTER_SECONDS,
    },
  };
}
