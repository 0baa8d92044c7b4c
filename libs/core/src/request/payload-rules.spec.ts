import { ProcessingConfigurationError } from '../errors/errors';
import { applyPayloadRules } from './payload-rules';
import type { PayloadRule } from './request.types';

describe('applyPayloadRules', () => {
  const payload = { order: { id: 'o1', total: '12.50' }, customer: { email: 'A@X.TEST' } };
  const scope = {
    payload,
    context: { region: 'eu' },
    event: { id: 'd1', eventType: 'order.paid' },
  };

  it('returns the payload itself when there are no rules', () => {
    expect(applyPayloadRules(payload, [], false, scope)).toBe(payload);
    expect(applyPayloadRules(payload, undefined, false, scope)).toBe(payload);
    expect(applyPayloadRules(payload, [], true, scope)).toEqual({});
  });

  it('sets paths on a copy of the payload', () => {
    const rules: PayloadRule[] = [
      {
        path: 'order.total',
        source: { kind: 'payload', path: 'order.total' },
        transform: 'number',
      },
      {
        path: 'customer.email',
        source: { kind: 'payload', path: 'customer.email' },
        transform: 'lowercase',
      },
      { path: 'meta.region', source: { kind: 'context', key: 'region' } },
      { path: 'meta.type', source: { kind: 'event', field: 'eventType' } },
      { path: 'meta.missing', source: { kind: 'context', key: 'nope' } },
      { path: 'meta.fallback', source: { kind: 'context', key: 'nope' }, default: 'n/a' },
    ];
    const body = applyPayloadRules(payload, rules, false, scope);
    expect(body).toEqual({
      order: { id: 'o1', total: 12.5 },
      customer: { email: 'a@x.test' },
      meta: { region: 'eu', type: 'order.paid', fallback: 'n/a' },
    });
    expect(payload.order.total).toBe('12.50');
  });

  it('builds the body from the rules alone with replacePayload', () => {
    const rules: PayloadRule[] = [
      { path: 'id', source: { kind: 'payload', path: 'order.id' } },
      { path: 'items.0.sku', source: { kind: 'literal', value: 'A1' } },
    ];
    expect(applyPayloadRules(payload, rules, true, scope)).toEqual({
      id: 'o1',
      items: [{ sku: 'A1' }],
    });
  });

  it('reads sources from the original payload, not the body being built', () => {
    const rules: PayloadRule[] = [
      { path: 'order.id', source: { kind: 'literal', value: 'changed' } },
      { path: 'originalId', source: { kind: 'payload', path: 'order.id' } },
    ];
    expect(applyPayloadRules(payload, rules, false, scope)).toMatchObject({
      order: { id: 'changed' },
      originalId: 'o1',
    });
  });

  it('replaces the body for an empty path', () => {
    const rules: PayloadRule[] = [{ path: '', source: { kind: 'payload', path: 'order' } }];
    const body = applyPayloadRules(payload, rules, false, scope);
    expect(body).toEqual({ id: 'o1', total: '12.50' });
    expect(body).not.toBe(payload.order);
  });

  it('names the rule when a transform fails', () => {
    const rules: PayloadRule[] = [
      { path: 'n', source: { kind: 'payload', path: 'order.id' }, transform: 'number' },
    ];
    expect(() => applyPayloadRules(payload, rules, false, scope)).toThrow(
      ProcessingConfigurationError,
    );
    expect(() => applyPayloadRules(payload, rules, false, scope)).toThrow(
      /^Payload rule "n": Cannot convert "o1" to a number$/,
    );
  });
});
