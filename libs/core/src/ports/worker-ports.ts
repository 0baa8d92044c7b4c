import type { HeaderBag, QueryBag } from '../extraction/value-source.types';

/**
 * The ports the worker use cases (receive, process an inbound event, send a delivery)
 * need. libs/persistence's repositories and libs/messaging's queues implement them; the
 * apps bind them once (PersistenceModule, MessagingModule).
 */

/** A received request to store (SPEC §4): accepted (`received`) or kept for an operator (`rejected`). */
export interface NewInboundEvent {
  id: string;
  tenantId: string;
  endpointId: string;
  endpointPath: string;
  state: 'received' | 'rejected';
  method: string;
  url: string;
  headers: HeaderBag;
  query: QueryBag;
  rawBody: Buffer;
  contentType: string | null;
  payload: unknown;
  /** `payload` as JSON text to store verbatim (ReadPayload.jsonText); else it is serialised. */
  payloadJson?: string | null;
  semantic: Record<string, unknown>;
  deliveryIdentity: string | null;
  replayIdentity: string | null;
  rejectReason?: string;
  /** Rejected events: the refusing error's stable code (HookgateError.code), beside its reason. */
  rejectCode?: string;
  /** Rejected events: the whole body's size and SHA-256 (hex); `rawBody` is then a prefix. */
  bodySize?: number | null;
  bodySha256?: string | null;
  /** The receive span's W3C traceparent (tracing on): its processing job carries it. Not stored. */
  traceparent?: string;
}

export interface InsertOutcome {
  id: string;
  duplicate: boolean;
}

/**
 * Where the receive pipeline stores events. `insert` resolves once the event's row is
 * committed (or found to be a duplicate of a committed one); a newly stored `received`
 * event is then also handed to processing, best effort (the reconciler covers a loss).
 */
export interface InboundEventStore {
  insert(event: NewInboundEvent): Promise<InsertOutcome>;
}

/**
 * Runs work in one transaction and hands it the repositories bound to that transaction
 * (`Tx`, the persistence layer's): everything written through them commits together or
 * not at all.
 */
export interface UnitOfWork<Tx> {
  transaction<T>(work: (tx: Tx) => Promise<T>): Promise<T>;
  /** The same repositories outside any transaction: each statement commits on its own. */
  readonly outside: Tx;
}

/** A configuration lookup cached for a bounded time and dropped on a change announcement. */
export interface ConfigLookup<T> {
  get(key: string): Promise<T | null>;
  invalidate(id?: string): void;
}

/** Schedules an inbound event's next attempt (its job id carries the attempt count). */
export interface RetryScheduler {
  scheduleRetry(eventId: string, attempts: number, delayMs: number): Promise<void>;
}

/** Hands queued delivery ids to the dispatcher once their rows are committed (best effort). */
export interface DeliveryEnqueuer {
  enqueueDeliveries(ids: string[]): void;
}

/** Enqueues a delivery's next attempt (its job id carries the attempt count). */
export interface SendScheduler {
  /**
   * `rerun`: the delivery was put back without using an attempt, so the job id must
   * differ from the running job's.
   */
  schedule(deliveryId: string, attempts: number, delayMs: number, rerun?: boolean): Promise<void>;
}
