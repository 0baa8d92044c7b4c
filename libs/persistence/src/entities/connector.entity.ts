import {
  Column,
  CreateDateColumn,
  Entity,
  PrimaryGeneratedColumn,
  UpdateDateColumn,
} from 'typeorm';

/**
 * A configured instance of a connector kind (SPEC §7). It owns at most one inbound endpoint
 * and any number of outbound endpoints (their `connector_id`).
 */
@Entity({ name: 'connectors' })
export class ConnectorEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ name: 'tenant_id', type: 'uuid' })
  tenantId: string;

  /** Registered connector kind (`generic-http`, `stripe`, …). */
  @Column({ type: 'text' })
  kind: string;

  @Column({ type: 'text' })
  code: string;

  @Column({ type: 'text' })
  name: string;

  @Column({ type: 'boolean', default: true })
  active: boolean;

  @Column({ name: 'base_url', type: 'text', nullable: true })
  baseUrl: string | null;

  /** SecretBox envelope of the credentials (write-only through the API). */
  @Column({ type: 'text', nullable: true })
  credentials: string | null;

  @Column({ type: 'jsonb', default: () => `'{}'` })
  settings: Record<string, unknown>;

  /** Linked endpoint codes are `<technicalPrefix>-<codeSuffix>`; default `<kind>-<id>`. */
  @Column({ name: 'technical_prefix', type: 'text' })
  technicalPrefix: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}
