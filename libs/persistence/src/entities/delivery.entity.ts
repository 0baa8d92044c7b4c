import {
  Column,
  CreateDateColumn,
  Entity,
  OneToMany,
  PrimaryColumn,
  UpdateDateColumn,
  type Relation,
} from 'typeorm';
import { DeliveryAttemptEntity } from './delivery-attempt.entity';

/**
 * One outbound delivery (SPEC §5). The id is app-generated (uuidv7). `endpointId` is null
 * when the request named an unknown endpoint (stored as `dead_letter`, `endpointCode` says
 * what was asked for). `sourceEventId` is a soft reference: retention may purge the event.
 */
export type DeliveryState =
  'draft' | 'queued' | 'processing' | 'done' | 'error' | 'dead_letter' | 'canceled';
export const DELIVERY_STATES: readonly DeliveryState[] = [
  'draft',
  'queued',
  'processing',
  'done',
  'error',
  'dead_letter',
  'canceled',
];

@Entity({ name: 'deliveries' })
export class DeliveryEntity {
  @PrimaryColumn({ type: 'uuid' })
  id: string;

  @Column({ name: 'tenant_id', type: 'uuid' })
  tenantId: string;

  @Column({ name: 'endpoint_id', type: 'uuid', nullable: true })
  endpointId: string | null;

  @Column({ name: 'endpoint_code', type: 'text' })
  endpointCode: string;

  @Column({ name: 'event_type', type: 'text', nullable: true })
  eventType: string | null;

  @Column({ type: 'text' })
  state: DeliveryState;

  @Column({ type: 'jsonb', nullable: true })
  payload: unknown;

  @Column({ type: 'jsonb', default: () => `'{}'` })
  context: Record<string, string>;

  /** Unique per endpoint when set: republishing answers the existing delivery. */
  @Column({ name: 'idempotency_key', type: 'text', nullable: true })
  idempotencyKey: string | null;

  @Column({ name: 'is_test', type: 'boolean', default: false })
  isTest: boolean;

  @Column({ name: 'source_event_id', type: 'uuid', nullable: true })
  sourceEventId: string | null;

  @Column({ type: 'integer', default: 0 })
  attempts: number;

  @Column({ name: 'next_attempt_at', type: 'timestamptz', nullable: true })
  nextAttemptAt: Date | null;

  @Column({ name: 'lease_until', type: 'timestamptz', nullable: true })
  leaseUntil: Date | null;

  @Column({ name: 'last_error', type: 'text', nullable: true })
  lastError: string | null;

  @Column({ name: 'error_stack', type: 'text', nullable: true })
  errorStack: string | null;

  @Column({ name: 'response_status', type: 'integer', nullable: true })
  responseStatus: number | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;

  @Column({ name: 'completed_at', type: 'timestamptz', nullable: true })
  completedAt: Date | null;

  /** Loaded only when asked (`relations: { attemptLog: true }`). */
  @OneToMany(() => DeliveryAttemptEntity, (attempt) => attempt.delivery)
  attemptLog?: Relation<DeliveryAttemptEntity[]>;
}
