import { ProcessingConfigurationError } from '../errors/errors';
import { ABSENT } from '../extraction/value-source.types';
import { applyMutations, buildForwardPayload, buildRecordData } from './rule-effects';
import type { Rule, RuleEvaluation } from './rule.types';

function evaluation(
  rule: Partial<Rule> | null,
  assignments: RuleEvaluation['assignments'],
): RuleEvaluation {
  return {
    matchedRule: rule
      ? ({ sequence: 1, name: 'r', conditions: [], action: 'forward', ...rule } as Rule)
      : null,
    action: 'forward',
    assignments,
    lookups: [],
    log: {
      direction: 'inbound',
      mode: 'rules',
      rules: [],
      matchedRule: null,
      action: 'forward',
      assignments: [],
      lookups: [],
      records: [],
    },
  };
}

describe('buildForwardPayload', () => {
  const eventPayload = { order: { id: 'o1', total: 10 } };

  it('forwards (a copy of) the event payload when the rule has no assignments', () => {
    const payload = buildForwardPayload(evaluation({ assignments: [] }, []), eventPayload);
    expect(payload).toEqual(eventPayload);
    expect(payload).not.toBe(eventPayload);
    expect(buildForwardPayload(evaluation(null, []), eventPayload)).toEqual(eventPayload);
  });

  it('builds the payload from the assigned fields only', () => {
    const source = { kind: 'literal' as const, value: 1 };
    const payload = buildForwardPayload(
      evaluation({ assignments: [{ field: 'x', source }] }, [
        { field: 'orderId', value: 'o1' },
        { field: 'lines.0.total', value: 10 },
        { field: 'meta', value: { a: [1] } },
      ]),
      eventPayload,
    );
    expect(payload).toEqual({ orderId: 'o1', lines: [{ total: 10 }], meta: { a: [1] } });
  });

  it('gives an empty object when the rule has assignments but none resolved', () => {
    const source = { kind: 'payload' as const, path: 'missing' };
    expect(
      buildForwardPayload(evaluation({ assignments: [{ field: 'x', source }] }, []), eventPayload),
    ).toEqual({});
  });

  it('refuses prototype-polluting fields', () => {
    const source = { kind: 'literal' as const, value: 1 };
    expect(() =>
      buildForwardPayload(
        evaluation({ assignments: [{ field: 'x', source }] }, [
          { field: '__proto__.polluted', value: true },
        ]),
        eventPayload,
      ),
    ).toThrow(ProcessingConfigurationError);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe('applyMutations', () => {
  it('sets payload paths and headers on copies', () => {
    const payload = { order: { id: 'o1' } };
    const headers = { 'Content-Type': 'application/json', 'x-region': 'us' };
    const result = applyMutations(payload, headers, [
      { field: 'order.region', value: 'eu' },
      { field: 'headers.X-Region', value: 'eu' },
      { field: 'headers.X-Count', value: 3 },
      { field: 'headers.Content-Type', value: null },
    ]);
    expect(result.payload).toEqual({ order: { id: 'o1', region: 'eu' } });
    expect(result.headers).toEqual({ 'X-Region': 'eu', 'X-Count': '3' });
    expect(payload).toEqual({ order: { id: 'o1' } });
    expect(headers).toEqual({ 'Content-Type': 'application/json', 'x-region': 'us' });
  });

  it('skips absent values and builds an object from a non-object payload', () => {
    const result = applyMutations(null, {}, [
      { field: 'a', value: ABSENT },
      { field: 'b', value: undefined },
      { field: 'c.d', value: 1 },
    ]);
    expect(result.payload).toEqual({ c: { d: 1 } });
  });

  it('refuses a header assignment without a name', () => {
    expect(() => applyMutations({}, {}, [{ field: 'headers.', value: 'x' }])).toThrow(
      /names no header/,
    );
  });
});

describe('buildRecordData', () => {
  it('nests dotted fields and copies values', () => {
    const tags = ['a'];
    const data = buildRecordData([
      { field: 'number', value: 42 },
      { field: 'customer.email', value: 'a@x.test' },
      { field: 'tags', value: tags },
    ]);
    expect(data).toEqual({ number: 42, customer: { email: 'a@x.test' }, tags: ['a'] });
    expect(data.tags).not.toBe(tags);
    expect(buildRecordData([])).toEqual({});
  });

  it('refuses fields that would replace the document with a non-object', () => {
    expect(() => buildRecordData([{ field: '', value: 'x' }])).toThrow(/must be an object/);
  });
});
