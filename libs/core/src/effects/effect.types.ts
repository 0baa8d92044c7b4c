import type { RecordLookup } from '../ports/ports';
import type { OutboundRequest } from '../request/request.types';

/**
 * What applying a decision does, as data (issue 22): the planners in this folder turn a
 * rule evaluation or a callback's outcome into a plan; the workers execute the plan and
 * the rule simulator reports it. A rule action's meaning is written here and nowhere else.
 */

/** A record action: the record written before the event settles. */
export interface RecordWriteEffect {
  kind: 'write_record';
  operation: 'create' | 'update' | 'upsert';
  model: string;
  lookup: RecordLookup;
  data: Record<string, unknown>;
}

/** The `forward` action: a delivery queued through the outbound intake. */
export interface ForwardEffect {
  kind: 'forward';
  /** The outbound endpoint's code. */
  endpoint: string;
  payload: unknown;
  /** One delivery per event and rule: a re-run (retry, reset, crash) finds it again. */
  idempotencyKey: string;
}

export type InboundEffect = RecordWriteEffect | ForwardEffect;

/** How an inbound event leaves `processing` (besides `error`, which no plan chooses). */
export type InboundSettlement =
  | { state: 'done' }
  | { state: 'dead_letter'; reason: string }
  /** A retry: back to `received`, due again in `retrySeconds`. */
  | { state: 'received'; retrySeconds: number };

export interface InboundPlan {
  /** Applied in order, in the transaction that settles the event. */
  effects: InboundEffect[];
  /** The event's state once the effects are applied. */
  settlement: InboundSettlement;
}

/** How an outbound delivery leaves `processing` without an HTTP attempt. */
export type OutboundSettlement =
  | { state: 'done' }
  | { state: 'dead_letter'; reason: string }
  | { state: 'canceled'; reason: string }
  /** A retry: back to `queued`, due again in `retrySeconds`. */
  | { state: 'queued'; retrySeconds: number };

export type OutboundPlan =
  | {
      kind: 'send';
      /** The payload the request is built from. */
      payload: unknown;
      /** Headers a `mutate` rule sets on top of the endpoint's header rules. */
      headers?: Record<string, string>;
      /** A request a callback built itself: sent as it is. */
      request?: OutboundRequest;
    }
  | { kind: 'settle'; settlement: OutboundSettlement };
