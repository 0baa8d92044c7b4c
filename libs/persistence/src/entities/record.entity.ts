import {
  Column,
  CreateDateColumn,
  Entity,
  PrimaryGeneratedColumn,
  UpdateDateColumn,
} from 'typeorm';
import type { RecordData } from '@app/core/ports/ports';

/**
 * A JSON document written by `create_record`/`update_record`/`upsert_record` (SPEC §6).
 * Write through PostgresRecordStore, which keeps upserts race-safe. The event columns are
 * soft references: retention may purge the events.
 */
@Entity({ name: 'records' })
export class RecordEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ name: 'tenant_id', type: 'uuid' })
  tenantId: string;

  @Column({ type: 'text' })
  model: string;

  @Column({ type: 'jsonb' })
  data: RecordData;

  @Column({ name: 'created_by_event', type: 'uuid', nullable: true })
  createdByEvent: string | null;

  @Column({ name: 'updated_by_event', type: 'uuid', nullable: true })
  updatedByEvent: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}
