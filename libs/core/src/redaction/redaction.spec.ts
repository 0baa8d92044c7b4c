import {
  isSensitiveHeaderName,
  isSensitiveQueryName,
  REDACTED,
  redactHeaderRules,
  redactHeaders,
  redactQuery,
  redactUrl,
} from './redaction';

describe('redaction policy', () => {
  it('names credential headers, any case, and leaves signatures and ordinary headers', () => {
    for (const name of [
      'Authorization',
      'proxy-authorization',
      'Cookie',
      'set-cookie',
      'X-Api-Key',
      'X-Api-Token',
      'x-auth-token',
      'X-Client-Secret',
      'x-amz-security-token',
      'x-session-id',
    ]) {
      expect([name, isSensitiveHeaderName(name)]).toEqual([name, true]);
    }
    for (const name of [
      'content-type',
      'x-hub-signature-256',
      'stripe-signature',
      'webhook-signature',
      'x-github-delivery',
      'user-agent',
    ]) {
      expect([name, isSensitiveHeaderName(name)]).toEqual([name, false]);
    }
  });

  it('names credential query parameters, signatures of pre-signed URLs included', () => {
    for (const name of [
      'token',
      'access_token',
      'api_key',
      'key',
      'secret',
      'sig',
      'X-Amz-Signature',
      'password',
      'hub.verify_token',
    ]) {
      expect([name, isSensitiveQueryName(name)]).toEqual([name, true]);
    }
    for (const name of ['page', 'event', 'hub.challenge', 'id', 'keyword']) {
      expect([name, isSensitiveQueryName(name)]).toEqual([name, false]);
    }
  });

  it('redacts header and query bags, and answers the bag itself when it holds no secret', () => {
    const headers = { authorization: 'Bearer abc', 'content-type': 'application/json' };
    expect(redactHeaders(headers)).toEqual({
      authorization: REDACTED,
      'content-type': 'application/json',
    });
    expect(headers.authorization).toBe('Bearer abc');
    const plain = { a: '1' };
    expect(redactHeaders(plain)).toBe(plain);
    expect(redactQuery({ token: ['a', 'b'], page: '2' })).toEqual({ token: REDACTED, page: '2' });
    expect(redactQuery(null)).toBeNull();
  });

  it('keeps a __proto__ key an ordinary key', () => {
    const bag = JSON.parse('{"__proto__": "x", "token": "t"}') as Record<string, string>;
    const redacted = redactQuery(bag);
    expect(Object.getPrototypeOf(redacted)).toBe(Object.prototype);
    expect(Object.keys(redacted)).toEqual(['__proto__', 'token']);
  });

  it('redacts credential query values in URLs and paths, in order, keeping the rest', () => {
    expect(redactUrl('/webhooks/x?a=1&token=s3cr3t&b=2&token=x#frag')).toBe(
      `/webhooks/x?a=1&token=${encodeURIComponent(REDACTED)}&b=2&token=${encodeURIComponent(REDACTED)}#frag`,
    );
    expect(redactUrl('https://h.example/p?sig=abc')).toBe(
      `https://h.example/p?sig=${encodeURIComponent(REDACTED)}`,
    );
    const untouched = '/webhooks/x?a=%20b&c';
    expect(redactUrl(untouched)).toBe(untouched);
    expect(redactUrl('/webhooks/x')).toBe('/webhooks/x');
  });

  it('redacts header-rule values whose name is a credential header', () => {
    expect(
      redactHeaderRules([
        { name: 'X-Api-Token', value: 'tok' },
        { name: 'X-Tenant', value: 'acme-{region}' },
      ]),
    ).toEqual([
      { name: 'X-Api-Token', value: REDACTED },
      { name: 'X-Tenant', value: 'acme-{region}' },
    ]);
  });
});
