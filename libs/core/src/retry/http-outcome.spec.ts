import { classifyHttpOutcome, parseRetryAfter, type SendResult } from './http-outcome';

describe('classifyHttpOutcome', () => {
  const response = (status: number): SendResult => ({
    ok: true,
    status,
    headers: {},
    body: '',
    truncated: false,
    durationMs: 1,
  });
  it.each([
    [200, 'success'],
    [204, 'success'],
    [299, 'success'],
    [301, 'error'],
    [400, 'error'],
    [401, 'error'],
    [404, 'error'],
    [408, 'retry'],
    [410, 'error'],
    [422, 'error'],
    [429, 'retry'],
    [500, 'retry'],
    [503, 'retry'],
  ])('HTTP %s → %s', (status, verdict) => {
    expect(classifyHttpOutcome(response(status))).toBe(verdict);
  });

  it.each([
    ['timeout', 'retry'],
    ['connection_refused', 'retry'],
    ['connection_reset', 'retry'],
    ['dns', 'retry'],
    ['tls', 'retry'],
    ['network', 'retry'],
    ['refused_address', 'error'],
    ['invalid_url', 'error'],
  ] as const)('%s → %s', (errorClass, verdict) => {
    expect(classifyHttpOutcome({ ok: false, errorClass, error: 'x', durationMs: 1 })).toBe(verdict);
  });
});

describe('parseRetryAfter', () => {
  const now = new Date('2026-11-30T12:00:00Z');
  it('reads delta-seconds and HTTP dates', () => {
    expect(parseRetryAfter('2', now)).toBe(2);
    expect(parseRetryAfter(' 120 ', now)).toBe(120);
    expect(parseRetryAfter('Mon, 30 Nov 2026 12:00:30 GMT', now)).toBe(30);
    expect(parseRetryAfter('Mon, 30 Nov 2026 11:00:00 GMT', now)).toBe(0);
  });
  it('ignores absent and malformed values', () => {
    expect(parseRetryAfter(undefined, now)).toBeNull();
    expect(parseRetryAfter('', now)).toBeNull();
    expect(parseRetryAfter('-5', now)).toBeNull();
    expect(parseRetryAfter('1.5', now)).toBeNull();
    expect(parseRetryAfter('soon', now)).toBeNull();
  });
});
