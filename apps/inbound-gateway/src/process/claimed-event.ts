import { inboundRuleScope } from '@app/core';
import type { ClaimedEventRow } from '@app/persistence';

/** An inbound event as the worker claims it: the row and its endpoint's handler and connector. */
export type ClaimedEvent = ClaimedEventRow;

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
