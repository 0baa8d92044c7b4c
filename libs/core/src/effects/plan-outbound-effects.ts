import type { Outcome } from '../outcomes/outcome.types';
import { attemptsExhausted, type RetryPolicy } from '../retry/retry-policy';
import { applyMutations } from '../rules/rule-effects';
import type { RuleEvaluation } from '../rules/rule.types';
import type { OutboundPlan, OutboundSettlement } from './effect.types';

/** The delivery a plan is made for: what the actions and the retry policy read. */
export interface OutboundPlanInput {
  payload: unknown;
  /** Attempts including the one running now. */
  attempts: number;
  /** The endpoint's policy: a retry once it is exhausted dead-letters the delivery. */
  retryPolicy: RetryPolicy;
}

/**
 * What an outbound rule decision does (SPEC §5 "Handlers"): send (with the payload and
 * headers a `mutate` rule set) or settle the delivery without sending. Throws
 * ProcessingConfigurationError when a mutation cannot apply; the delivery then goes to
 * `error`.
 */
export function planOutboundEffects(
  evaluation: RuleEvaluation,
  delivery: OutboundPlanInput,
): OutboundPlan {
  const name = evaluation.matchedRule?.name ?? '';
  switch (evaluation.action) {
    case 'send':
      return { kind: 'send', payload: delivery.payload };
    case 'mutate': {
      const mutated = applyMutations(delivery.payload, {}, evaluation.assignments);
      return { kind: 'send', payload: mutated.payload, headers: mutated.headers };
    }
    case 'done':
      return planOutboundOutcome({ type: 'done', note: `rule "${name}"` }, delivery);
    case 'dead_letter':
      return planOutboundOutcome(
        { type: 'dead_letter', reason: `rule "${name}" dead-lettered the delivery` },
        delivery,
      );
    case 'retry':
      return planOutboundOutcome(
        { type: 'retry', seconds: evaluation.retrySeconds ?? 60 },
        delivery,
      );
    case 'cancel':
      return planOutboundOutcome(
        { type: 'cancel', reason: `rule "${name}" canceled the delivery` },
        delivery,
      );
    case 'create_record':
    case 'update_record':
    case 'upsert_record':
    case 'forward':
      return planOutboundOutcome(
        { type: 'dead_letter', reason: `action "${evaluation.action}" is inbound-only` },
        delivery,
      );
  }
}

/**
 * The plan for an outcome a callback, a connector kind's hook or its dispatch gate
 * returned: `send` sends (the callback's own request, if it built one), anything else
 * settles.
 */
export function planOutboundOutcome(outcome: Outcome, delivery: OutboundPlanInput): OutboundPlan {
  if (outcome.type === 'send') {
    return outcome.request
      ? { kind: 'send', payload: delivery.payload, request: outcome.request }
      : { kind: 'send', payload: delivery.payload };
  }
  return { kind: 'settle', settlement: settleOutboundOutcome(outcome, delivery) };
}

/** A retry once the endpoint's attempts are used up is a dead letter. */
function settleOutboundOutcome(
  outcome: Exclude<Outcome, { type: 'send' }>,
  delivery: OutboundPlanInput,
): OutboundSettlement {
  switch (outcome.type) {
    case 'done':
      return { state: 'done' };
    case 'dead_letter':
      return { state: 'dead_letter', reason: outcome.reason };
    case 'cancel':
      return { state: 'canceled', reason: outcome.reason ?? 'canceled by the handler' };
    case 'retry':
      if (attemptsExhausted(delivery.retryPolicy, delivery.attempts)) {
        return {
          state: 'dead_letter',
          reason: `retries exhausted after ${delivery.attempts} attempts`,
        };
      }
      return { state: 'queued', retrySeconds: outcome.seconds };
  }
}
