import type { RecordData } from '../ports/ports';
import type { Condition } from '../rules/rule.types';

/**
 * Record-change triggers (SPEC §11 "Record-change webhooks"): a trigger names a model of
 * the records store, the operations it reacts to, optional changed-field filters and
 * conditions; a matching change becomes one event published to the subscribed outbound
 * endpoints, in the transaction that wrote the record.
 */
export type RecordOperation = 'created' | 'updated' | 'deleted';

export const RECORD_OPERATIONS: readonly RecordOperation[] = ['created', 'updated', 'deleted'];

/** One committed-together change of one record: what the records store reports. */
export interface RecordChange {
  model: string;
  recordId: string;
  operation: RecordOperation;
  /** The data before the change; null for `created`. */
  before: RecordData | null;
  /** The data after the change; null for `deleted`. */
  after: RecordData | null;
}

export interface RecordTrigger {
  id: string;
  code: string;
  model: string;
  operations: RecordOperation[];
  /** `updated` fires only when one of these data paths changed; empty: any update. */
  changedFields: string[];
  /** All must hold, on the record after the change (before it, for `deleted`). */
  conditions: Condition[];
  /** The published event type; null: `record.<model>.<operation>`. */
  eventType: string | null;
  active: boolean;
}

/** What a trigger's event carries (the delivery payload). */
export interface RecordChangePayload {
  /** Unique per change and trigger: the event's idempotency key too. */
  changeId: string;
  trigger: string;
  model: string;
  recordId: string;
  operation: RecordOperation;
  /** The top-level data fields whose values differ between before and after. */
  changedFields: string[];
  before: RecordData | null;
  after: RecordData | null;
}

/** One event to publish for a change: a `publish` request, keyed so it happens once. */
export interface RecordChangeEvent {
  triggerId: string;
  eventType: string;
  idempotencyKey: string;
  payload: RecordChangePayload;
}
