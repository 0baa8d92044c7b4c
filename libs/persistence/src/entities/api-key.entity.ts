import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';

/** Admin API keys: stored as a sha256 hex digest; the plaintext is shown once, at creation. */
export type ApiKeyRole = 'admin' | 'operator';
export const API_KEY_ROLES: readonly ApiKeyRole[] = ['admin', 'operator'];

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
}
