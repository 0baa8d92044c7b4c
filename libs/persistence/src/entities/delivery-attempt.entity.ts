import {
  Column,
  Entity,
  JoinColumn,
  ManyToOne,
  PrimaryGeneratedColumn,
  type Relation,
} from 'typeorm';
import type { BodyMode, HttpMethod } from '@app/core/request/request.types';
import { DeliveryEntity } from './delivery.entity';

/**
 * One HTTP attempt of a delivery: the request as sent (secret headers redacted), the
 * response (body capped at 64 KiB by the dispatcher), timing and outcome.
 */
export type AttemptOutcome =
  'success' | 'retry' | 'error' | 'dead_letter' | 'interrupted' | 'refused';
export const ATTEMPT_OUTCOMES: readonly AttemptOutcome[] = [
  'success',
  'retry',
  'error',
  'dead_letter',
  'interrupted',
  'refused',
];

export interface AttemptRequestSnapshot {
  method: HttpMethod;
  url: string;
  headers: Record<string, string>;
  bodyMode: BodyMode;
  /** The body as text (utf8), possibly truncated. */
  body: string;
  bodyTruncated?: boolean;
}

@Entity({ name: 'delivery_attempts' })
export class DeliveryAttemptEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ name: 'delivery_id', type: 'uuid' })
  deliveryId: string;

  @ManyToOne(() => DeliveryEntity, (delivery) => delivery.attemptLog, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'delivery_id' })
  delivery?: Relation<DeliveryEntity>;

  @Column({ name: 'tenant_id', type: 'uuid' })
  tenantId: string;

  /** Denormalised for per-endpoint statistics (soft reference). */
  @Column({ name: 'endpoint_id', type: 'uuid', nullable: true })
  endpointId: string | null;

  /** 1-based; unique per delivery. */
  @Column({ name: 'attempt_number', type: 'integer' })
  attemptNumber: number;

  @Column({ name: 'started_at', type: 'timestamptz', default: () => 'now()' })
  startedAt: Date;

  @Column({ name: 'finished_at', type: 'timestamptz', nullable: true })
  finishedAt: Date | null;

  @Column({ name: 'duration_ms', type: 'integer', nullable: true })
  durationMs: number | null;

  /** Null when no request was built (e.g. an interrupted attempt found by the reconciler). */
  @Column({ type: 'jsonb', nullable: true })
  request: AttemptRequestSnapshot | null;

  @Column({ name: 'response_status', type: 'integer', nullable: true })
  responseStatus: number | null;

  @Column({ name: 'response_headers', type: 'jsonb', nullable: true })
  responseHeaders: Record<string, string | string[]> | null;

  @Column({ name: 'response_body', type: 'text', nullable: true })
  responseBody: string | null;

  @Column({ type: 'text', nullable: true })
  error: string | null;

  /** `timeout`, `network`, `http_4xx`, `private_network`, … */
  @Column({ name: 'error_class', type: 'text', nullable: true })
  errorClass: string | null;

  @Column({ type: 'text' })
  outcome: AttemptOutcome;
}
