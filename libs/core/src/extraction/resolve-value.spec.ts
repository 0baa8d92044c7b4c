import { resolveValue } from './resolve-value';
import { ABSENT, type EvaluationScope, type ValueSource } from './value-source.types';

describe('resolveValue', () => {
  const scope: EvaluationScope = {
    payload: { data: { object: { status: 'paid', items: [{ sku: 'A1' }] }, nothing: null } },
    headers: { 'x-github-event': 'push', 'X-Multi': ['one', 'two'] },
    query: { page: '2', tag: ['a', 'b'] },
    semantic: { account: 'acct_1', 'dotted.name': 'exact', customer: { email: 'c@example.com' } },
    event: { id: 'evt_1', receivedAt: '2024-01-01T00:00:00.000Z', replayIdentity: null },
    context: { orderId: '42', nested: { region: 'eu' } },
  };

  it.each<[string, ValueSource, unknown]>([
    ['a payload path', { kind: 'payload', path: 'data.object.status' }, 'paid'],
    ['a payload array path', { kind: 'payload', path: 'data.object.items[0].sku' }, 'A1'],
    ['a payload null (a value, not absent)', { kind: 'payload', path: 'data.nothing' }, null],
    ['a header in any case', { kind: 'header', name: 'X-GitHub-Event' }, 'push'],
    ['the first of repeated headers', { kind: 'header', name: 'x-multi' }, 'one'],
    ['a query value', { kind: 'query', name: 'page' }, '2'],
    ['the first repeated query value', { kind: 'query', name: 'tag' }, 'a'],
    ['a semantic name', { kind: 'semantic', name: 'account' }, 'acct_1'],
    ['a semantic name containing a dot', { kind: 'semantic', name: 'dotted.name' }, 'exact'],
    ['a path into a semantic value', { kind: 'semantic', name: 'customer.email' }, 'c@example.com'],
    ['an event field', { kind: 'event', field: 'id' }, 'evt_1'],
    ['a null event field', { kind: 'event', field: 'replayIdentity' }, null],
    ['a context key', { kind: 'context', key: 'orderId' }, '42'],
    ['a context path', { kind: 'context', key: 'nested.region' }, 'eu'],
    ['a literal', { kind: 'literal', value: { a: 1 } }, { a: 1 }],
    ['a literal null', { kind: 'literal', value: null }, null],
  ])('resolves %s', (_label, source, expected) => {
    expect(resolveValue(source, scope)).toEqual(expected);
  });

  it.each<[string, ValueSource]>([
    ['a missing payload path', { kind: 'payload', path: 'data.object.missing' }],
    ['a path through a scalar', { kind: 'payload', path: 'data.object.status.x' }],
    ['a missing header', { kind: 'header', name: 'X-Missing' }],
    ['a missing query value', { kind: 'query', name: 'nope' }],
    ['a missing semantic value', { kind: 'semantic', name: 'nope' }],
    ['a missing event field', { kind: 'event', field: 'nope' }],
    ['a missing context key', { kind: 'context', key: 'nope' }],
    ['an undefined literal', { kind: 'literal', value: undefined }],
    ['a prototype property', { kind: 'context', key: 'constructor' }],
    ['a __proto__ path', { kind: 'payload', path: '__proto__' }],
  ])('answers ABSENT for %s', (_label, source) => {
    expect(resolveValue(source, scope)).toBe(ABSENT);
  });

  it('answers ABSENT when the scope lacks the bag', () => {
    const bare: EvaluationScope = { payload: undefined };
    expect(resolveValue({ kind: 'header', name: 'a' }, bare)).toBe(ABSENT);
    expect(resolveValue({ kind: 'query', name: 'a' }, bare)).toBe(ABSENT);
    expect(resolveValue({ kind: 'semantic', name: 'a' }, bare)).toBe(ABSENT);
    expect(resolveValue({ kind: 'event', field: 'a' }, bare)).toBe(ABSENT);
    expect(resolveValue({ kind: 'context', key: 'a' }, bare)).toBe(ABSENT);
    expect(resolveValue({ kind: 'payload', path: 'a' }, bare)).toBe(ABSENT);
  });

  it('answers ABSENT for an undefined value stored under a key', () => {
    expect(
      resolveValue({ kind: 'context', key: 'x' }, { payload: null, context: { x: undefined } }),
    ).toBe(ABSENT);
  });

  it('never throws on malformed sources from hand-edited configuration', () => {
    const malformed = [
      null,
      'payload',
      { kind: 'unknown' },
      { kind: 'payload', path: 7 },
      { kind: 'header', name: null },
      { kind: 'query' },
      { kind: 'semantic', name: 3 },
    ] as unknown as ValueSource[];
    for (const source of malformed) expect(resolveValue(source, scope)).toBe(ABSENT);
  });
});
