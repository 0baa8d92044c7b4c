import { REDACTED, redact } from './redact';

describe('audit redaction', () => {
  it('redacts secret-named fields at any depth and keeps the secretSet flags', () => {
    const view = {
      name: 'github',
      signature: { mode: 'hmac', secret: 's3cr3t', secondarySecret: 'old', secretSet: true },
      auth: { type: 'basic', username: 'u', password: 'p', secretSet: true },
      handshakes: { meta: { verifyToken: 'vt', verifyTokenSet: true } },
      credentials: { apiKey: 'k', nested: { x: 1 } },
      keyHash: 'abc',
      rules: [{ assignments: [{ field: 'token', source: { kind: 'literal', value: 'x' } }] }],
    };
    expect(redact(view)).toEqual({
      name: 'github',
      signature: { mode: 'hmac', secret: REDACTED, secondarySecret: REDACTED, secretSet: true },
      auth: { type: 'basic', username: 'u', password: REDACTED, secretSet: true },
      handshakes: { meta: { verifyToken: REDACTED, verifyTokenSet: true } },
      credentials: REDACTED,
      keyHash: REDACTED,
      rules: [{ assignments: [{ field: 'token', source: { kind: 'literal', value: 'x' } }] }],
    });
  });

  it('redacts stored envelopes wherever they appear, and credential header values', () => {
    const envelope = 'v1:ab12cd34:AAAAAAAAAAAAAAAA:BBBBBBBBBBBBBBBBBBBBBB==:Q0lQSEVS';
    expect(
      redact({
        secrets: { secret: envelope },
        notes: [envelope],
        headerRules: [
          { name: 'Authorization', value: 'Bearer abc' },
          { name: 'X-Order', value: '{orderId}' },
        ],
      }),
    ).toEqual({
      secrets: REDACTED,
      notes: [REDACTED],
      headerRules: [
        { name: 'Authorization', value: REDACTED },
        { name: 'X-Order', value: '{orderId}' },
      ],
    });
  });

  it('keeps plain values, nulls and dates', () => {
    const at = new Date('2026-01-01T00:00:00Z');
    expect(redact({ a: 1, b: null, c: at, d: [true, 'x'], secret: null })).toEqual({
      a: 1,
      b: null,
      c: '2026-01-01T00:00:00.000Z',
      d: [true, 'x'],
      secret: null,
    });
    expect(redact(undefined)).toBeNull();
  });
});
