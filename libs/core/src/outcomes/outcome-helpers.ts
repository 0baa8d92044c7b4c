import { ProcessingConfigurationError } from '../errors/errors';
import type { Outcome } from './outcome.types';

/**
 * The outcome helpers callbacks return (SPEC §3 "Callback execution"): `done()`,
 * `deadLetter(reason)`, `retry(seconds)`, `cancel()` and, outbound only, `send(request?)`.
 * Each returns its precise variant so an inbound callback's return type stays an
 * InboundOutcome without casts.
 */

export type DoneOutcome = Extract<Outcome, { type: 'done' }>;
export type DeadLetterOutcome = Extract<Outcome, { type: 'dead_letter' }>;
export type RetryOutcome = Extract<Outcome, { type: 'retry' }>;
export type CancelOutcome = Extract<Outcome, { type: 'cancel' }>;
export type SendOutcome = Extract<Outcome, { type: 'send' }>;

export function done(note?: string): DoneOutcome {
  return note === undefined ? { type: 'done' } : { type: 'done', note };
}

export function deadLetter(reason: string): DeadLetterOutcome {
  return { type: 'dead_letter', reason: String(reason) };
}

/** Re-run after `seconds` (finite, ≥ 0); anything else is a programming error in the callback. */
export function retry(seconds: number): RetryOutcome {
  if (typeof seconds !== 'number' || !Number.isFinite(seconds) || seconds < 0) {
    throw new ProcessingConfigurationError(
      `retry(seconds) needs a finite number of seconds ≥ 0, got ${String(seconds)}`,
      { seconds },
    );
  }
  return { type: 'retry', seconds };
}

export function cancel(reason?: string): CancelOutcome {
  return reason === undefined ? { type: 'cancel' } : { type: 'cancel', reason };
}

/** Outbound only: send the built request, or the `request` the callback rewrote. */
export function send(request?: SendOutcome['request']): SendOutcome {
  return request === undefined ? { type: 'send' } : { type: 'send', request };
}
