import type { EntityManager } from 'typeorm';
import {
  normalizeOutcome,
  type ExecutionLog,
  type HandlerRegistry,
  type InboundOutcome,
} from '@app/core';
import type { HandlerRuntime, PostgresRecordStore } from '@app/persistence';
import type { DeliveryIntake } from '@app/outbound';
import type { ClaimedEvent } from './claimed-event';
import { deliverVia } from './inbound-effects.executor';

/**
 * Runs a callback handler on a claimed event (SPEC §3 "Callback execution"): its record
 * writes (through `records`, a store in the caller's transaction whose changes fire the
 * record triggers) and deliveries join the caller's transaction, like a rule's effects.
 * Answers the outcome it returned and the log recorded for it.
 */
export async function runInboundCallback(
  registry: HandlerRegistry,
  intake: DeliveryIntake,
  records: PostgresRecordStore,
  manager: EntityManager,
  event: ClaimedEvent,
  handler: HandlerRuntime,
  queued: string[],
): Promise<{ outcome: InboundOutcome; log: ExecutionLog }> {
  const deliver = deliverVia(intake, manager, event, queued);
  const callback = registry.getInbound(handler.callback ?? '');
  const result = await callback({
    event: {
      id: event.id,
      tenant: event.tenant_id,
      endpointPath: event.endpoint_path,
      receivedAt: new Date(event.received_at),
      payload: event.payload,
      headers: event.headers,
      query: event.query,
      semantic: event.semantic,
      deliveryIdentity: event.delivery_identity,
      replayIdentity: event.replay_identity,
      rawBody: event.raw_body,
      attempts: event.attempts,
      connectorId: event.connector_id,
    },
    records,
    deliveries: {
      deliver: async (request) => {
        const result = await deliver(request);
        return { id: result.id, duplicate: result.duplicate };
      },
      publish: async (request) => {
        const results = await intake.publish(
          event.tenant_id,
          { ...request, sourceEventId: event.id },
          manager,
        );
        for (const r of results) if (r.state === 'queued' && !r.duplicate) queued.push(r.id);
        return { ids: results.map((r) => r.id) };
      },
    },
    log: () => undefined,
  });
  const outcome = normalizeOutcome(result, 'inbound') as InboundOutcome;
  return {
    outcome,
    log: {
      direction: 'inbound',
      mode: 'callback',
      rules: [],
      matchedRule: null,
      action: outcome.type,
      note: `callback ${handler.callback}`,
      assignments: [],
      lookups: [],
      records: [],
    },
  };
}
