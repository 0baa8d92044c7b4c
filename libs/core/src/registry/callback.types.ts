import type { HeaderBag, QueryBag } from '../extraction/value-source.types';
import type { Outcome } from '../outcomes/outcome.types';
import type { DeliveryPublisher, RecordStore } from '../ports/ports';
import type { OutboundRequest } from '../request/request.types';

/**
 * What a registered callback (SPEC §3 "Callback execution") receives and returns. The
 * context carries data and ports only — no ORM entity, no queue client — so callbacks are
 * unit-testable with in-memory fakes.
 */

/** Appends a line to the item's execution log (shown to operators). */
export type CallbackLogger = (message: string, data?: Record<string, unknown>) => void;

export interface InboundEventView {
  id: string;
  tenant: string;
  endpointPath: string;
  receivedAt: Date;
  payload: unknown;
  headers: HeaderBag;
  query: QueryBag;
  semantic: Record<string, unknown>;
  deliveryIdentity: string | null;
  replayIdentity: string | null;
  /** The body exactly as received (for callbacks that verify or parse it themselves). */
  rawBody: Buffer;
  /** Processing attempts so far, this one included. */
  attempts: number;
  /** The connector owning the event's endpoint (SPEC §7), if any. */
  connectorId?: string | null;
}

export interface InboundCallbackContext {
  event: InboundEventView;
  /** Record writes join the event's processing transaction. */
  records: RecordStore;
  /** Queue outbound deliveries (e.g. forward to another system). */
  deliveries: DeliveryPublisher;
  log: CallbackLogger;
}

export type CallbackResult = Outcome | void;

/** Returning nothing is a framework-level dead_letter; throwing moves the event to error. */
export type InboundCallback = (
  ctx: InboundCallbackContext,
) => CallbackResult | Promise<CallbackResult>;

export interface OutboundDeliveryView {
  id: string;
  endpointCode: string;
  eventType: string | null;
  payload: unknown;
  context: Record<string, unknown>;
  /** Send attempts so far, this one included. */
  attempts: number;
  idempotencyKey: string | null;
  /** When the delivery was created (its first attempt is at or after this). */
  createdAt: Date;
}

export interface OutboundCallbackContext {
  delivery: OutboundDeliveryView;
  /** The request as built from the endpoint; `send(modified)` sends a rewritten one. */
  request: OutboundRequest;
  log: CallbackLogger;
}

export type OutboundCallback = (
  ctx: OutboundCallbackContext,
) => CallbackResult | Promise<CallbackResult>;
