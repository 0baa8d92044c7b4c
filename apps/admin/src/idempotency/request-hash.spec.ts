import { canonicalJson, requestHash } from './request-hash';

describe('idempotency request hash', () => {
  it('ignores the order of object keys at every level', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { y: 2, x: 1 }], c: null } })).toBe(
      '{"a":{"c":null,"d":[1,{"x":1,"y":2}]},"b":1}',
    );
    expect(requestHash('post', '/api/v1/handlers', { a: 1, b: 2 })).toBe(
      requestHash('POST', '/api/v1/handlers', { b: 2, a: 1 }),
    );
  });

  it('tells apart another body, URL or method', () => {
    const base = requestHash('POST', '/api/v1/deliveries', { payload: { n: 1 } });
    expect(requestHash('POST', '/api/v1/deliveries', { payload: { n: 2 } })).not.toBe(base);
    expect(requestHash('POST', '/api/v1/events', { payload: { n: 1 } })).not.toBe(base);
    expect(requestHash('PUT', '/api/v1/deliveries', { payload: { n: 1 } })).not.toBe(base);
    // Array order is meaning, not formatting.
    expect(canonicalJson([1, 2])).not.toBe(canonicalJson([2, 1]));
  });

  it('treats a prototype-named key as data', () => {
    const body = JSON.parse('{"__proto__":{"x":1},"constructor":2}') as unknown;
    expect(canonicalJson(body)).toBe('{"__proto__":{"x":1},"constructor":2}');
  });
});
