import { inboundRuleScope, type HeaderBag, type QueryBag } from '@app/core';

/** An inbound event as the worker claims it: the row and its endpoint's handler and connector. */
export interface ClaimedEvent {
  id: string;
  tenant_id: string;
  endpoint_path: string;
  handler_id: string;
  payload: unknown;
  headers: HeaderBag;
  query: QueryBag;
  semantic: Record<string, unknown>;
  delivery_identity: string | null;
  replay_identity: string | null;
  raw_body: Buffer;
  attempts: number;
  received_at: Date;
  connector_id: string | null;
}

/** The event's rule scope, built as the rule simulator builds it (libs/core rule-scope). */
export function ruleScopeOf(event: ClaimedEvent) {
  return inboundRuleScope({
    payload: event.payload,
    headers: event.headers,
    query: event.query,
    semantic: event.semantic,
    event: {
      id: event.id,
      receivedAt: new Date(event.received_at),
      endpointPath: event.endpoint_path,
      deliveryIdentity: event.delivery_identity,
      replayIdentity: event.replay_identity,
      attempts: event.attempts,
    },
  });
}
