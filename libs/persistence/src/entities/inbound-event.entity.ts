import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { HeaderBag, QueryBag } from '@app/core/extraction/value-source.types';
import type { ExecutionLog } from '@app/core/rules/rule.types';

/**
 * One received webhook (SPEC §4). The id is app-generated (uuidv7) so the receiver can
 * answer it without a round trip. Identity columns are unique per endpoint among
 * non-rejected events (partial unique indexes), so rejected requests never block a later
 * genuine one.
 */
export type InboundEventState =
  'received' | 'processing' | 'done' | 'error' | 'dead_letter' | 'rejected';
export const INBOUND_EVENT_STATES: readonly InboundEventState[] = [
  'received',
  'processing',
  'done',
  'error',
  'dead_letter',
  'rejected',
];

@Entity({ name: 'inbound_events' })
export class InboundEventEntity {
  @PrimaryColumn({ type: 'uuid' })
  id: string;

  @Column({ name: 'tenant_id', type: 'uuid' })
  tenantId: string;

  @Column({ name: 'endpoint_id', type: 'uuid' })
  endpointId: string;

  /** The path as it was at receipt (the endpoint's path may change later). */
  @Column({ name: 'endpoint_path', type: 'text' })
  endpointPath: string;

  @Column({ type: 'text', default: 'received' })
  state: InboundEventState;

  @Column({ type: 'text' })
  method: string;

  /** Path with query string, as received. */
  @Column({ type: 'text' })
  url: string;

  @Column({ type: 'jsonb' })
  headers: HeaderBag;

  @Column({ type: 'jsonb', default: () => `'{}'` })
  query: QueryBag;

  /** Byte-exact body; of a rejected event, its first REJECTED_BODY_PREFIX_BYTES only. */
  @Column({ name: 'raw_body', type: 'bytea' })
  rawBody: Buffer;

  /** Rejected events: the whole body's size in bytes (`rawBody` may be a prefix of it). */
  @Column({ name: 'body_size', type: 'integer', nullable: true })
  bodySize: number | null;

  /** Rejected events: SHA-256 of the whole body, lowercase hex. */
  @Column({ name: 'body_sha256', type: 'text', nullable: true })
  bodySha256: string | null;

  @Column({ name: 'content_type', type: 'text', nullable: true })
  contentType: string | null;

  /** Parsed JSON or form body; null for other content types. */
  @Column({ type: 'jsonb', nullable: true })
  payload: unknown;

  @Column({ type: 'jsonb', default: () => `'{}'` })
  semantic: Record<string, unknown>;

  @Column({ name: 'delivery_identity', type: 'text', nullable: true })
  deliveryIdentity: string | null;

  @Column({ name: 'replay_identity', type: 'text', nullable: true })
  replayIdentity: string | null;

  @Column({ name: 'duplicate_count', type: 'integer', default: 0 })
  duplicateCount: number;

  @Column({ name: 'last_duplicate_at', type: 'timestamptz', nullable: true })
  lastDuplicateAt: Date | null;

  @Column({ name: 'reject_reason', type: 'text', nullable: true })
  rejectReason: string | null;

  /**
   * `rejected` events: the stable code of the error refused with (`signature_invalid`, …);
   * null for other states and for rejections stored before it was recorded.
   */
  @Column({ name: 'reject_code', type: 'text', nullable: true })
  rejectCode: string | null;

  @Column({ name: 'matched_rule', type: 'text', nullable: true })
  matchedRule: string | null;

  @Column({ name: 'execution_log', type: 'jsonb', nullable: true })
  executionLog: ExecutionLog | null;

  @Column({ type: 'text', nullable: true })
  error: string | null;

  @Column({ name: 'error_stack', type: 'text', nullable: true })
  errorStack: string | null;

  @Column({ type: 'integer', default: 0 })
  attempts: number;

  /** When a `retry`ed event is due again (state `received`). */
  @Column({ name: 'due_at', type: 'timestamptz', nullable: true })
  dueAt: Date | null;

  /** While `processing`: after this the reconciler may take the event back. */
  @Column({ name: 'lease_until', type: 'timestamptz', nullable: true })
  leaseUntil: Date | null;

  @Column({ name: 'received_at', type: 'timestamptz', default: () => 'now()' })
  receivedAt: Date;

  @Column({ name: 'processed_at', type: 'timestamptz', nullable: true })
  processedAt: Date | null;

  @Column({ name: 'updated_at', type: 'timestamptz', default: () => 'now()' })
  updatedAt: Date;
}
