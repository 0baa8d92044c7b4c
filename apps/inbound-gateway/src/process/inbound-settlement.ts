import type { ExecutionLog, InboundSettlement } from '@app/core';
import type { EventClaim, InboundEventsRepository } from '@app/persistence';
import type { ClaimedEvent } from './claimed-event';

/**
 * How a claimed inbound event is settled: the settle row of its outcome, written for a
 * batch by the inbound events repository in one statement guarded by each event's claim.
 */

/** How an event leaves `processing` (besides `error`, written on its own): a settle row. */
export interface Settlement {
  id: string;
  /** The claimed row, for the item's log line. */
  event: ClaimedEvent;
  state: InboundSettlement['state'];
  log: ExecutionLog;
  matchedRule: string | null;
  error: string | null;
  /** `received` (a retry): when the event is due again, and its attempt count. */
  retrySeconds: number | null;
  attempts: number;
}

/** The settle row of an event's settlement. */
export function settlementRow(
  event: ClaimedEvent,
  settlement: InboundSettlement,
  log: ExecutionLog,
): Settlement {
  return {
    id: event.id,
    event,
    log,
    matchedRule: log.matchedRule,
    attempts: event.attempts,
    state: settlement.state,
    error: settlement.state === 'dead_letter' ? settlement.reason : null,
    retrySeconds: settlement.state === 'received' ? settlement.retrySeconds : null,
  };
}

/**
 * The event is no longer this worker's claim (its lease ran out and another worker claimed
 * it again): the transaction rolls back, so its record writes are undone too.
 */
export class ClaimLostError extends Error {
  constructor(lost: number) {
    super(`${lost} event(s) were claimed again by another worker; their outcome is not written`);
  }
}

/** A statement per batch: each event's final state (or its retry), guarded by its claim. */
export async function settleEvents(
  events: InboundEventsRepository,
  settlements: Settlement[],
  claim: EventClaim,
): Promise<void> {
  const settled = await events.settle(settlements, claim);
  if (settled < settlements.length) {
    throw new ClaimLostError(settlements.length - settled);
  }
}
