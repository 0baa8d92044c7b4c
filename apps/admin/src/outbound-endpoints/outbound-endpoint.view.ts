import {
  redactHeaderRules,
  withRetryDefaults,
  type HeaderRule,
  type PayloadRule,
  type QueryRule,
  type RetryPolicy,
} from '@app/core';
import type {
  OutboundEndpointEntity,
  OutboundEndpointState,
  StoredEndpointAuth,
  StoredOutboundSigning,
} from '@app/persistence';
import { AUTH_SECRET, SIGNING_SECRET } from './outbound-endpoint-secrets';

/** An outbound endpoint as the admin API answers it: no secrets, only whether each is set. */
export interface OutboundEndpointView {
  id: string;
  code: string;
  name: string;
  state: OutboundEndpointState;
  method: string;
  bodyMode: string;
  targetHost: string;
  targetPath: string;
  timeoutMs: number;
  handlerId: string | null;
  headerRules: HeaderRule[];
  payloadRules: PayloadRule[];
  replacePayload: boolean;
  queryRules: QueryRule[];
  eventTypes: string[];
  signing: StoredOutboundSigning & { secretSet?: boolean };
  auth: StoredEndpointAuth & { secretSet?: boolean };
  retryPolicy: RetryPolicy;
  rateLimitPerSecond: number | null;
  health: { disableAfterFailures: number | null; disableAfterSeconds: number | null };
  consecutiveFailures: number;
  failingSince: string | null;
  disabledAt: string | null;
  disabledReason: string | null;
  connectorId: string | null;
  codeSuffix: string | null;
  createdAt: string;
  updatedAt: string;
}

const iso = (value: Date | null): string | null => (value ? value.toISOString() : null);

export function toOutboundEndpointView(row: OutboundEndpointEntity): OutboundEndpointView {
  const secrets = row.secrets ?? {};
  const signing = row.signing ?? { type: 'none' };
  const auth = row.auth ?? { type: 'none' };
  const health = row.health ?? {};
  return {
    id: row.id,
    code: row.code,
    name: row.name,
    state: row.state,
    method: row.method,
    bodyMode: row.bodyMode,
    targetHost: row.targetHost ?? '',
    targetPath: row.targetPath ?? '',
    timeoutMs: row.timeoutMs,
    handlerId: row.handlerId ?? null,
    // A credential header's value is write-only (issue 21); see keepRedactedValues.
    headerRules: redactHeaderRules(row.headerRules ?? []),
    payloadRules: row.payloadRules ?? [],
    replacePayload: row.replacePayload,
    queryRules: row.queryRules ?? [],
    eventTypes: row.eventTypes ?? [],
    signing:
      signing.type === 'none'
        ? signing
        : { ...signing, secretSet: Boolean(secrets[SIGNING_SECRET]) },
    auth: auth.type === 'none' ? auth : { ...auth, secretSet: Boolean(secrets[AUTH_SECRET]) },
    retryPolicy: withRetryDefaults(row.retryPolicy),
    rateLimitPerSecond: row.rateLimitPerSecond ?? null,
    health: {
      disableAfterFailures: health.disableAfterFailures ?? null,
      disableAfterSeconds: health.disableAfterSeconds ?? null,
    },
    consecutiveFailures: row.consecutiveFailures ?? 0,
    failingSince: iso(row.failingSince),
    disabledAt: iso(row.disabledAt),
    disabledReason: row.disabledReason ?? null,
    connectorId: row.connectorId ?? null,
    codeSuffix: row.codeSuffix ?? null,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}
