import { ProcessingConfigurationError } from '../errors/errors';
import { DEFAULT_RETRY_POLICY } from '../retry/retry-policy';
import { evaluateRules } from '../rules/evaluate-rules';
import { inboundRuleScope, outboundRuleScope } from '../rules/rule-scope';
import type { Rule } from '../rules/rule.types';
import {
  NO_RECORD_MATCHED,
  planInboundEffects,
  settleInboundOutcome,
} from './plan-inbound-effects';
import { planOutboundEffects, planOutboundOutcome } from './plan-outbound-effects';

const event = { id: 'evt-1', payload: { id: 'o1', total: 5 }, attempts: 1, maxRetries: 3 };
const inbound = (rule: Partial<Rule>, attempts = 1) =>
  evaluateRules(
    [{ sequence: 10, name: 'r', conditions: [], action: 'done', ...rule } as Rule],
    inboundRuleScope({
      payload: event.payload,
      headers: {},
      query: {},
      semantic: {},
      event: {
        id: event.id,
        receivedAt: new Date(0),
        endpointPath: 'p',
        deliveryIdentity: null,
        replayIdentity: null,
        attempts,
      },
    }),
    'inbound',
  );

describe('planInboundEffects', () => {
  const orderId = [{ field: 'orderId', source: { kind: 'payload' as const, path: 'id' } }];

  it('done, dead_letter and retry settle the event and write nothing', () => {
    expect(planInboundEffects(inbound({ action: 'done' }), event)).toEqual({
      effects: [],
      settlement: { state: 'done' },
    });
    expect(planInboundEffects(inbound({ action: 'dead_letter' }), event)).toEqual({
      effects: [],
      settlement: { state: 'dead_letter', reason: 'rule "r" dead-lettered the event' },
    });
    expect(
      planInboundEffects(inbound({ action: 'retry', retrySeconds: 30 }), event).settlement,
    ).toEqual({ state: 'received', retrySeconds: 30 });
  });

  it('a retry past the handler’s maxRetries is a dead letter', () => {
    const plan = planInboundEffects(inbound({ action: 'retry', retrySeconds: 30 }, 4), {
      ...event,
      attempts: 4,
    });
    expect(plan.settlement).toEqual({
      state: 'dead_letter',
      reason: 'retries exhausted after 4 attempts',
    });
  });

  it.each([
    ['create_record', 'create'],
    ['update_record', 'update'],
    ['upsert_record', 'upsert'],
  ] as const)('%s writes the record, then the event is done', (action, operation) => {
    const plan = planInboundEffects(
      inbound({ action, targetModel: 'orders', lookups: orderId, assignments: orderId }),
      event,
    );
    expect(plan).toEqual({
      effects: [
        {
          kind: 'write_record',
          operation,
          model: 'orders',
          lookup: [{ field: 'orderId', value: 'o1' }],
          data: { orderId: 'o1' },
        },
      ],
      settlement: { state: 'done' },
    });
    expect(NO_RECORD_MATCHED).toEqual({ state: 'dead_letter', reason: 'no record matched' });
  });

  it('forward queues one delivery per event and rule', () => {
    const plan = planInboundEffects(inbound({ action: 'forward', forwardTo: 'crm' }), event);
    expect(plan).toEqual({
      effects: [
        {
          kind: 'forward',
          endpoint: 'crm',
          payload: event.payload,
          idempotencyKey: 'forward-evt-1-10',
        },
      ],
      settlement: { state: 'done' },
    });
  });

  it('refuses an outbound-only action', () => {
    const evaluation = { ...inbound({ action: 'done' }), action: 'mutate' as const };
    expect(() => planInboundEffects(evaluation, event)).toThrow(ProcessingConfigurationError);
  });

  it('settles a callback’s outcome by the same rules', () => {
    const limits = { attempts: 2, maxRetries: 1 };
    expect(settleInboundOutcome({ type: 'cancel' }, limits)).toEqual({ state: 'done' });
    expect(settleInboundOutcome({ type: 'retry', seconds: 5 }, limits)).toEqual({
      state: 'dead_letter',
      reason: 'retries exhausted after 2 attempts',
    });
  });
});

describe('planOutboundEffects', () => {
  const delivery = { payload: { id: 1 }, attempts: 1, retryPolicy: DEFAULT_RETRY_POLICY };
  const outbound = (rule: Partial<Rule> | null) =>
    evaluateRules(
      rule ? [{ sequence: 1, name: 'r', conditions: [], action: 'send', ...rule } as Rule] : [],
      outboundRuleScope({
        payload: delivery.payload,
        context: { orderId: 'A-1' },
        endpoint: { code: 'crm', id: 'e' },
        delivery: {
          id: 'd',
          createdAt: new Date(0).toISOString(),
          eventType: null,
          idempotencyKey: null,
          attempts: 1,
        },
      }),
      'outbound',
    );

  it('send and mutate send; mutate with its payload and headers', () => {
    expect(planOutboundEffects(outbound(null), delivery)).toEqual({
      kind: 'send',
      payload: { id: 1 },
    });
    const mutate = outbound({
      action: 'mutate',
      assignments: [
        { field: 'tagged', source: { kind: 'literal', value: true } },
        { field: 'headers.X-Order', source: { kind: 'context', key: 'orderId' } },
      ],
    });
    expect(planOutboundEffects(mutate, delivery)).toEqual({
      kind: 'send',
      payload: { id: 1, tagged: true },
      headers: { 'X-Order': 'A-1' },
    });
  });

  it.each([
    ['done', { state: 'done' }],
    ['dead_letter', { state: 'dead_letter', reason: 'rule "r" dead-lettered the delivery' }],
    ['cancel', { state: 'canceled', reason: 'rule "r" canceled the delivery' }],
    ['retry', { state: 'queued', retrySeconds: 15 }],
    ['forward', { state: 'dead_letter', reason: 'action "forward" is inbound-only' }],
  ] as const)('%s settles the delivery', (action, settlement) => {
    const evaluation = { ...outbound({ action: 'done' }), action, retrySeconds: 15 };
    expect(planOutboundEffects(evaluation, delivery)).toEqual({ kind: 'settle', settlement });
  });

  it('a retry once the endpoint’s attempts are used up is a dead letter', () => {
    const used = {
      ...delivery,
      attempts: 3,
      retryPolicy: { ...DEFAULT_RETRY_POLICY, maxAttempts: 3 },
    };
    expect(planOutboundOutcome({ type: 'retry', seconds: 5 }, used)).toEqual({
      kind: 'settle',
      settlement: { state: 'dead_letter', reason: 'retries exhausted after 3 attempts' },
    });
    expect(planOutboundOutcome({ type: 'cancel' }, delivery)).toEqual({
      kind: 'settle',
      settlement: { state: 'canceled', reason: 'canceled by the handler' },
    });
  });
});
