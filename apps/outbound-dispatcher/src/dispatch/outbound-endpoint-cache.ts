import type { DataSource } from 'typeorm';
import {
  withRetryDefaults,
  type ConfigLookup,
  type RequestSpec,
  type RetryPolicy,
} from '@app/core';
import { LookupCache } from '@app/platform';
import {
  OutboundEndpointsRepository,
  withAuthSecret,
  withSigningSecret,
  type OutboundEndpointEntity,
  type SecretBox,
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

export const DEFAULT_DISABLE_AFTER_SECONDS = 5 * 86_400;

export class OutboundEndpointCache
  extends LookupCache<OutboundEndpointRuntime>
  implements ConfigLookup<OutboundEndpointRuntime>
{
  constructor(dataSource: DataSource, secrets: SecretBox, ttlMs: number) {
    const endpoints = new OutboundEndpointsRepository(dataSource);
    super(
      async (id) => {
        const row = await endpoints.findById(id);
        return row ? toEndpointRuntime(row, secrets) : null;
      },
      { ttlMs },
    );
  }
}

function toEndpointRuntime(row: OutboundEndpointEntity, box: SecretBox): OutboundEndpointRuntime {
  const secrets = row.secrets ?? {};
  const secret = (name: string): string => (secrets[name] ? box.decrypt(secrets[name]) : '');
  const health = row.health ?? {};
  return {
    id: row.id,
    tenantId: row.tenantId,
    code: row.code,
    state: row.state,
    disabled: row.disabledAt !== null && row.disabledAt !== undefined,
    handlerId: row.handlerId ?? null,
    connectorId: row.connectorId ?? null,
    codeSuffix: row.codeSuffix ?? null,
    timeoutMs: row.timeoutMs ?? 10_000,
    spec: {
      method: row.method,
      bodyMode: row.bodyMode,
      targetHost: row.targetHost ?? '',
      targetPath: row.targetPath ?? '',
      headerRules: row.headerRules ?? [],
      payloadRules: row.payloadRules ?? [],
      replacePayload: row.replacePayload,
      queryRules: row.queryRules ?? [],
      signing: withSigningSecret(
        row.signing ?? { type: 'none' },
        secret('signingSecret'),
        secret('previousSigningSecret'),
      ),
      auth: withAuthSecret(row.auth ?? { type: 'none' }, secret('authSecret')),
    },
    retryPolicy: withRetryDefaults(row.retryPolicy),
    rateLimitPerSecond: row.rateLimitPerSecond ?? null,
    health: {
      disableAfterFailures: health.disableAfterFailures ?? null,
      disableAfterSeconds: health.disableAfterSeconds ?? DEFAULT_DISABLE_AFTER_SECONDS,
    },
  };
}
