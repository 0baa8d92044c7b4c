import {
  Column,
  CreateDateColumn,
  Entity,
  PrimaryGeneratedColumn,
  UpdateDateColumn,
} from 'typeorm';
import type { ValueSource } from '@app/core/extraction/value-source.types';
import type { TimestampConfig } from '@app/core/freshness/freshness.types';
import type { IdentityConfig } from '@app/core/identity/identity.types';
import type { SignatureConfig } from '@app/core/signature/signature.types';

/**
 * An inbound endpoint, served at `/webhooks/<path>` (SPEC §4). Secrets never sit in the
 * configuration columns: they live in `secrets` as SecretBox envelopes, keyed by name —
 * `secret`, `secondarySecret` (signature), `metaVerifyToken`, `zoomSecretToken` (handshakes).
 */
export type StoredSignatureConfig = Omit<SignatureConfig, 'secret' | 'secondarySecret'>;

export interface SemanticBinding {
  name: string;
  source: ValueSource;
}

/** Which providers' URL-verification challenges the endpoint answers (tokens are in `secrets`). */
export interface InboundHandshakeSettings {
  slack?: boolean;
  meta?: boolean;
  zoom?: boolean;
}

/** Secret name → SecretBox envelope. */
export type StoredSecrets = Record<string, string>;

@Entity({ name: 'inbound_endpoints' })
export class InboundEndpointEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ name: 'tenant_id', type: 'uuid' })
  tenantId: string;

  @Column({ type: 'text' })
  name: string;

  /** Globally unique; `[a-z0-9][a-z0-9/_-]*`. */
  @Column({ type: 'text' })
  path: string;

  @Column({ name: 'handler_id', type: 'uuid' })
  handlerId: string;

  @Column({ type: 'boolean', default: true })
  active: boolean;

  /** A connector owns at most one inbound endpoint (partial unique index). */
  @Column({ name: 'connector_id', type: 'uuid', nullable: true })
  connectorId: string | null;

  @Column({ name: 'code_suffix', type: 'text', nullable: true })
  codeSuffix: string | null;

  @Column({ name: 'max_body_bytes', type: 'integer', default: 1048576 })
  maxBodyBytes: number;

  @Column({ type: 'jsonb', default: () => `'{"mode":"none"}'` })
  signature: StoredSignatureConfig;

  @Column({ type: 'jsonb', default: () => `'{}'` })
  identity: IdentityConfig;

  /** Null: no freshness check beyond what a preset implies. */
  @Column({ type: 'jsonb', nullable: true })
  timestamp: TimestampConfig | null;

  @Column({ name: 'semantic_bindings', type: 'jsonb', default: () => `'[]'` })
  semanticBindings: SemanticBinding[];

  @Column({ type: 'jsonb', default: () => `'{}'` })
  handshakes: InboundHandshakeSettings;

  @Column({ type: 'jsonb', default: () => `'{}'` })
  secrets: StoredSecrets;

  /** Rejected requests stored per minute; the excess is only counted in metrics. */
  @Column({ name: 'rejected_per_minute', type: 'integer', default: 60 })
  rejectedPerMinute: number;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}
