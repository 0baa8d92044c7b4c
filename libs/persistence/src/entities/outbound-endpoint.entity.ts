import {
  Column,
  CreateDateColumn,
  Entity,
  PrimaryGeneratedColumn,
  UpdateDateColumn,
} from 'typeorm';
import type {
  BodyMode,
  EndpointAuth,
  HeaderRule,
  HttpMethod,
  PayloadRule,
  QueryRule,
} from '@app/core/request/request.types';
import type { OutboundSigningConfig } from '@app/core/signature/signature.types';

/**
 * An outbound endpoint (SPEC §5). Signing and auth settings are stored without their
 * secrets; those live in `secrets` as SecretBox envelopes keyed by name (`signingSecret`,
 * `previousSigningSecret` during a rotation window, `authSecret`). "Linked" means
 * `connectorId` is set; its code is then `<connector prefix>-<codeSuffix>`.
 */
export type OutboundEndpointState = 'draft' | 'active' | 'archived';
export const OUTBOUND_ENDPOINT_STATES: readonly OutboundEndpointState[] = [
  'draft',
  'active',
  'archived',
];

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/** Signing as stored: the secrets (current and a rotation's previous) live in `secrets`. */
export type StoredOutboundSigning = DistributiveOmit<
  OutboundSigningConfig,
  'secret' | 'previousSecret'
>;
export type StoredEndpointAuth = DistributiveOmit<EndpointAuth, 'password' | 'token' | 'value'>;

/**
 * Puts the decrypted signing secrets back into a stored signing configuration: the current
 * one, and a rotation's previous one (kept only with its expiry; the signer checks it).
 */
export function withSigningSecret(
  signing: StoredOutboundSigning,
  secret: string,
  previousSecret = '',
): OutboundSigningConfig {
  switch (signing.type) {
    case 'none':
      return signing;
    case 'standard-webhooks':
    case 'hmac':
      return previousSecret && signing.previousSecretExpiresAt
        ? { ...signing, secret, previousSecret }
        : { ...signing, secret };
  }
}

/** Puts the decrypted credential back into a stored auth configuration (one secret per type). */
export function withAuthSecret(auth: StoredEndpointAuth, secret: string): EndpointAuth {
  switch (auth.type) {
    case 'none':
      return auth;
    case 'basic':
      return { ...auth, password: secret };
    case 'bearer':
      return { ...auth, token: secret };
    case 'api_key':
      return { ...auth, value: secret };
  }
}

export interface RetryPolicy {
  maxAttempts: number;
  initialDelaySeconds: number;
  multiplier: number;
  maxDelaySeconds: number;
}
export const DEFAULT_RETRY_POLICY: Readonly<RetryPolicy> = Object.freeze({
  maxAttempts: 10,
  initialDelaySeconds: 60,
  multiplier: 2,
  maxDelaySeconds: 86400,
});

/** Automatic disabling (SPEC §11); absent fields mean the product defaults. */
export interface EndpointHealthSettings {
  disableAfterFailures?: number;
  disableAfterSeconds?: number;
}

@Entity({ name: 'outbound_endpoints' })
export class OutboundEndpointEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ name: 'tenant_id', type: 'uuid' })
  tenantId: string;

  @Column({ type: 'text' })
  code: string;

  @Column({ type: 'text' })
  name: string;

  @Column({ type: 'text', default: 'draft' })
  state: OutboundEndpointState;

  @Column({ type: 'text', default: 'POST' })
  method: HttpMethod;

  @Column({ name: 'body_mode', type: 'text', default: 'json' })
  bodyMode: BodyMode;

  /** Absolute base URL; blank when a connector supplies it. */
  @Column({ name: 'target_host', type: 'text', default: '' })
  targetHost: string;

  /** Path template with `{token}` placeholders. */
  @Column({ name: 'target_path', type: 'text', default: '' })
  targetPath: string;

  @Column({ name: 'timeout_ms', type: 'integer', default: 10000 })
  timeoutMs: number;

  @Column({ name: 'handler_id', type: 'uuid', nullable: true })
  handlerId: string | null;

  @Column({ name: 'header_rules', type: 'jsonb', default: () => `'[]'` })
  headerRules: HeaderRule[];

  @Column({ name: 'payload_rules', type: 'jsonb', default: () => `'[]'` })
  payloadRules: PayloadRule[];

  @Column({ name: 'replace_payload', type: 'boolean', default: false })
  replacePayload: boolean;

  /** URL query parameters set from value sources (how a GET carries payload fields). */
  @Column({ name: 'query_rules', type: 'jsonb', default: () => `'[]'` })
  queryRules: QueryRule[];

  /** Fan-out subscriptions; `*` wildcards (`order.*`). GIN-indexed. */
  @Column({ name: 'event_types', type: 'text', array: true, default: () => `'{}'` })
  eventTypes: string[];

  @Column({ type: 'jsonb', default: () => `'{"type":"none"}'` })
  signing: StoredOutboundSigning;

  @Column({ type: 'jsonb', default: () => `'{"type":"none"}'` })
  auth: StoredEndpointAuth;

  @Column({ type: 'jsonb', default: () => `'{}'` })
  secrets: Record<string, string>;

  @Column({
    name: 'retry_policy',
    type: 'jsonb',
    default: () =>
      `'{"maxAttempts":10,"initialDelaySeconds":60,"multiplier":2,"maxDelaySeconds":86400}'`,
  })
  retryPolicy: RetryPolicy;

  /** Deliveries per second; null = unlimited. */
  @Column({ name: 'rate_limit_per_second', type: 'integer', nullable: true })
  rateLimitPerSecond: number | null;

  @Column({ type: 'jsonb', default: () => `'{}'` })
  health: EndpointHealthSettings;

  @Column({ name: 'consecutive_failures', type: 'integer', default: 0 })
  consecutiveFailures: number;

  @Column({ name: 'failing_since', type: 'timestamptz', nullable: true })
  failingSince: Date | null;

  @Column({ name: 'disabled_reason', type: 'text', nullable: true })
  disabledReason: string | null;

  @Column({ name: 'disabled_at', type: 'timestamptz', nullable: true })
  disabledAt: Date | null;

  @Column({ name: 'connector_id', type: 'uuid', nullable: true })
  connectorId: string | null;

  @Column({ name: 'code_suffix', type: 'text', nullable: true })
  codeSuffix: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}
