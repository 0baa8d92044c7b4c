import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';

/** A tenant (the seeds' "company"): every other row belongs to one. `default` always exists. */
export const DEFAULT_TENANT_NAME = 'default';

@Entity({ name: 'tenants' })
export class TenantEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ type: 'text' })
  name: string;

  /** Done/rejected events and done deliveries older than this are purged. */
  @Column({ name: 'retention_days', type: 'integer', default: 30 })
  retentionDays: number;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}
