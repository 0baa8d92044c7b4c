import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';

/** Admin API keys: stored as a sha256 hex digest; the plaintext is shown once, at creation. */
export type ApiKeyRole = 'admin' | 'operator' | 'publisher';
export const API_KEY_ROLES: readonly ApiKeyRole[] = ['admin', 'operator', 'publisher'];

@Entity({ name: 'api_keys' })
export class ApiKeyEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ name: 'tenant_id', type: 'uuid' })
  tenantId: string;

  @Column({ type: 'text' })
  name: string;

  @Column({ type: 'text' })
  role: ApiKeyRole;

  /** sha256 of the key, hex. */
  @Column({ name: 'key_hash', type: 'text' })
  keyHash: string;

  /** First 8 characters of the key, so operators can tell keys apart. */
  @Column({ name: 'key_prefix', type: 'text' })
  keyPrefix: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @Column({ name: 'last_used_at', type: 'timestamptz', nullable: true })
  lastUsedAt: Date | null;

  @Column({ name: 'revoked_at', type: 'timestamptz', nullable: true })
  revokedAt: Date | null;

  /** Made from ADMIN_API_KEY: revoked when the admin app starts with a different one. */
  @Column({ type: 'boolean', default: false })
  bootstrap: boolean;

  /** Why a revoked key was revoked when not by an operator (`ADMIN_API_KEY changed`). */
  @Column({ name: 'revoked_reason', type: 'text', nullable: true })
  revokedReason: string | null;
}
