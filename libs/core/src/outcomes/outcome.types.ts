import type { OutboundRequest } from '../request/request.types';

/** What processing an inbound event or an outbound delivery decided. */
export type Outcome =
  | { type: 'done'; note?: string }
  | { type: 'dead_letter'; reason: string }
  | { type: 'retry'; seconds: number }
  | { type: 'cancel'; reason?: string }
  | { type: 'send'; request?: OutboundRequest };

export type InboundOutcome = Exclude<Outcome, { type: 'send' }>;
export type OutboundOutcome = Outcome;
