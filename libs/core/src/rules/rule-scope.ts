import type { EvaluationScope, HeaderBag, QueryBag } from '../extraction/value-source.types';

/**
 * What rules can read about an inbound event or an outbound delivery. The inbound worker,
 * the outbound dispatcher and the rule simulator all build their scope here, so a rule
 * simulated in the admin API sees exactly what it will see when it runs for real.
 */
export interface InboundRuleInput {
  payload: unknown;
  headers: HeaderBag;
  query: QueryBag;
  semantic: Record<string, unknown>;
  event: {
    id: string;
    receivedAt: Date;
    endpointPath: string;
    deliveryIdentity: string | null;
    replayIdentity: string | null;
    attempts: number;
  };
}

export function inboundRuleScope(input: InboundRuleInput): EvaluationScope {
  return {
    payload: input.payload,
    headers: input.headers,
    query: input.query,
    semantic: input.semantic,
    event: {
      id: input.event.id,
      receivedAt: input.event.receivedAt.toISOString(),
      endpointPath: input.event.endpointPath,
      deliveryIdentity: input.event.deliveryIdentity,
      replayIdentity: input.event.replayIdentity,
      attempts: input.event.attempts,
    },
  };
}

export interface OutboundRuleInput {
  payload: unknown;
  context: Record<string, string>;
  endpoint: { code: string; id: string };
  /** `{kind:"event"}` fields of the delivery (see deliveryEventFields) plus its attempt count. */
  delivery: Record<string, unknown> & { attempts: number };
}

export function outboundRuleScope(input: OutboundRuleInput): EvaluationScope {
  return {
    payload: input.payload,
    context: input.context,
    endpoint: { code: input.endpoint.code, id: input.endpoint.id },
    event: input.delivery,
  };
}
