import { ProcessingConfigurationError } from '../errors/errors';
import { deadLetter, done, retry } from '../outcomes/outcome-helpers';
import type { InboundOutcome } from '../outcomes/outcome.types';
import { buildForwardPayload, buildRecordData } from '../rules/rule-effects';
import type { RuleEvaluation } from '../rules/rule.types';
import type { InboundEffect, InboundPlan, InboundSettlement } from './effect.types';

/** The event a plan is made for: what the actions and the retry limit read. */
export interface InboundPlanInput {
  id: string;
  payload: unknown;
  /** Attempts including the one running now. */
  attempts: number;
  /** The handler's limit: a retry past it dead-letters the event. */
  maxRetries: number;
}

/**
 * An update that matches no record dead-letters the event (SPEC §3) instead of settling it
 * as planned: the executor applies this when the store finds nothing to update.
 */
export const NO_RECORD_MATCHED: InboundSettlement = {
  state: 'dead_letter',
  reason: 'no record matched',
};

/**
 * What an inbound rule decision does (SPEC §3 "Rules"): the records it writes or the
 * delivery it forwards, then the event's state. Throws ProcessingConfigurationError for an
 * action that cannot run (an outbound-only action, data that is not an object); the event
 * then goes to `error`.
 */
export function planInboundEffects(
  evaluation: RuleEvaluation,
  event: InboundPlanInput,
): InboundPlan {
  const { effects, outcome } = inboundAction(evaluation, event);
  return { effects, settlement: settleInboundOutcome(outcome, event) };
}

function inboundAction(
  evaluation: RuleEvaluation,
  event: InboundPlanInput,
): { effects: InboundEffect[]; outcome: InboundOutcome } {
  const rule = evaluation.matchedRule;
  const action = evaluation.action;
  switch (action) {
    case 'done':
      return { effects: [], outcome: done() };
    case 'dead_letter':
      return {
        effects: [],
        outcome: deadLetter(
          evaluation.log.note ??
            (rule ? `rule "${rule.name}" dead-lettered the event` : 'dead-lettered'),
        ),
      };
    case 'retry':
      return { effects: [], outcome: retry(rule?.retrySeconds ?? 60) };
    case 'create_record':
    case 'update_record':
    case 'upsert_record':
      return {
        effects: [
          {
            kind: 'write_record',
            operation:
              action === 'create_record'
                ? 'create'
                : action === 'update_record'
                  ? 'update'
                  : 'upsert',
            model: rule!.targetModel!,
            lookup: evaluation.lookups.map((l) => ({ field: l.field, value: l.value })),
            data: buildRecordData(evaluation.assignments),
          },
        ],
        outcome: done(),
      };
    case 'forward':
      return {
        effects: [
          {
            kind: 'forward',
            endpoint: rule!.forwardTo!,
            payload: buildForwardPayload(evaluation, event.payload),
            idempotencyKey: `forward-${event.id}-${rule!.sequence}`,
          },
        ],
        outcome: done(),
      };
    case 'send':
    case 'mutate':
    case 'cancel':
      throw new ProcessingConfigurationError(`action "${action}" is outbound-only`);
  }
}

/**
 * The state an inbound outcome (a rule's or a callback's) leads to: a retry past the
 * handler's `maxRetries` is a dead letter; `cancel` finishes the event like `done`.
 */
export function settleInboundOutcome(
  outcome: InboundOutcome,
  event: Pick<InboundPlanInput, 'attempts' | 'maxRetries'>,
): InboundSettlement {
  switch (outcome.type) {
    case 'done':
    case 'cancel':
      return { state: 'done' };
    case 'dead_letter':
      return { state: 'dead_letter', reason: outcome.reason };
    case 'retry':
      if (event.attempts > event.maxRetries) {
        return {
          state: 'dead_letter',
          reason: `retries exhausted after ${event.attempts} attempts`,
        };
      }
      return { state: 'received', retrySeconds: outcome.seconds };
  }
}
