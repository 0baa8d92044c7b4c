import { evaluateRules } from './evaluate-rules';
import { inboundRuleScope, outboundRuleScope } from './rule-scope';

describe('rule scopes', () => {
  it('inbound: event facts as rules read them (receivedAt as ISO text)', () => {
    const scope = inboundRuleScope({
      payload: { a: 1 },
      headers: { 'x-kind': 'order' },
      query: { source: 'shop' },
      semantic: { account: 'acct_1' },
      event: {
        id: 'e1',
        receivedAt: new Date('2026-01-02T03:04:05.000Z'),
        endpointPath: 'shop/orders',
        deliveryIdentity: 'd1',
        replayIdentity: null,
        attempts: 2,
      },
    });
    expect(scope).toEqual({
      payload: { a: 1 },
      headers: { 'x-kind': 'order' },
      query: { source: 'shop' },
      semantic: { account: 'acct_1' },
      event: {
        id: 'e1',
        receivedAt: '2026-01-02T03:04:05.000Z',
        endpointPath: 'shop/orders',
        deliveryIdentity: 'd1',
        replayIdentity: null,
        attempts: 2,
      },
    });
    const evaluation = evaluateRules(
      [
        {
          sequence: 1,
          name: 'r',
          action: 'done',
          conditions: [
            { source: 'event', path: 'endpointPath', operator: '=', value: 'shop/orders' },
            { source: 'headers', path: 'X-Kind', operator: '=', value: 'order' },
          ],
        },
      ],
      scope,
      'inbound',
    );
    expect(evaluation.log.matchedRule).toBe('r');
  });

  it('outbound: payload, context, endpoint and delivery facts', () => {
    const scope = outboundRuleScope({
      payload: { total: 5 },
      context: { orderId: 'A-1' },
      endpoint: { code: 'crm', id: 'ep1' },
      delivery: { id: 'd1', eventType: 'order.paid', attempts: 1 },
    });
    expect(scope).toEqual({
      payload: { total: 5 },
      context: { orderId: 'A-1' },
      endpoint: { code: 'crm', id: 'ep1' },
      event: { id: 'd1', eventType: 'order.paid', attempts: 1 },
    });
  });
});
