import { FreshnessValidationError, ProcessingConfigurationError } from '../errors/errors';
import { checkFreshness } from './check-freshness';
import type { TimestampConfig } from './freshness.types';

const NOW = new Date('2025-06-01T12:00:00.000Z');
const nowSeconds = NOW.getTime() / 1000;
const header = (overrides: Partial<TimestampConfig> = {}): TimestampConfig => ({
  enabled: true,
  header: 'X-Ts',
  ...overrides,
});

function failure(run: () => unknown): FreshnessValidationError {
  try {
    run();
  } catch (error) {
    if (error instanceof FreshnessValidationError) return error;
    throw error;
  }
  throw new Error('expected a FreshnessValidationError');
}

describe('checkFreshness', () => {
  it('returns null when disabled, whatever the headers', () => {
    expect(checkFreshness({ enabled: false, header: 'X-Ts' }, {}, NOW)).toBeNull();
  });

  it('accepts unix seconds within the window and returns the timestamp', () => {
    expect(checkFreshness(header(), { 'x-ts': String(nowSeconds - 300) }, NOW)).toEqual(
      new Date((nowSeconds - 300) * 1000),
    );
    expect(checkFreshness(header(), { 'x-ts': String(nowSeconds + 300) }, NOW)).not.toBeNull();
    expect(checkFreshness(header(), { 'x-ts': `${nowSeconds}.250` }, NOW)).toEqual(
      new Date(NOW.getTime() + 250),
    );
  });

  it('accepts unix milliseconds and ISO 8601 with a zone', () => {
    expect(
      checkFreshness(
        header({ format: 'unix_millis' }),
        { 'x-ts': String(NOW.getTime() - 1000) },
        NOW,
      ),
    ).toEqual(new Date(NOW.getTime() - 1000));
    for (const value of [
      '2025-06-01T11:59:00Z',
      '2025-06-01T11:59:00.123456Z',
      '2025-06-01T13:59:00+02:00',
      '2025-06-01T11:59Z',
    ]) {
      expect(checkFreshness(header({ format: 'iso8601' }), { 'x-ts': value }, NOW)).toEqual(
        new Date(Date.parse(value)),
      );
    }
  });

  it('reads a parameter inside a header (Stripe-Signature t=)', () => {
    const cfg: TimestampConfig = {
      enabled: true,
      headerParam: { name: 'Stripe-Signature', param: 't' },
    };
    expect(checkFreshness(cfg, { 'stripe-signature': `t=${nowSeconds - 10},v1=abc` }, NOW)).toEqual(
      new Date((nowSeconds - 10) * 1000),
    );
    expect(failure(() => checkFreshness(cfg, { 'stripe-signature': 'v1=abc' }, NOW)).reason).toBe(
      'missing timestamp: parameter t of header Stripe-Signature is absent or empty',
    );
  });

  it('rejects a missing or empty timestamp naming where it was expected', () => {
    expect(failure(() => checkFreshness(header(), {}, NOW)).reason).toBe(
      'missing timestamp: header X-Ts is absent or empty',
    );
    expect(failure(() => checkFreshness(header(), { 'x-ts': ' ' }, NOW)).code).toBe(
      'timestamp_invalid',
    );
  });

  it.each<[TimestampConfig['format'], string]>([
    ['unix_seconds', 'yesterday'],
    ['unix_seconds', '-5'],
    ['unix_seconds', '1e9'],
    ['unix_seconds', '999999999999999'],
    ['unix_millis', '1.5'],
    ['iso8601', '2025-06-01T12:00:00'],
    ['iso8601', 'Sun, 01 Jun 2025 12:00:00 GMT'],
    ['iso8601', '2025-13-45T99:99:99Z'],
  ])('rejects an unparsable %s value %p', (format, value) => {
    const error = failure(() => checkFreshness(header({ format }), { 'x-ts': value }, NOW));
    expect(error.reason).toMatch(/^unparsable timestamp ".*" in header X-Ts: expected /);
  });

  it('shortens long unparsable values in the reason', () => {
    const error = failure(() => checkFreshness(header(), { 'x-ts': 'z'.repeat(500) }, NOW));
    expect(error.reason.length).toBeLessThan(200);
  });

  it('rejects a stale timestamp with the observed age and the limit', () => {
    const error = failure(() =>
      checkFreshness(header(), { 'x-ts': String(nowSeconds - 301) }, NOW),
    );
    expect(error.reason).toMatch(/^stale timestamp: the request is 301 s old, the limit is 300 s/);
    expect(error.details).toMatchObject({ observedAgeSeconds: 301, maxAgeSeconds: 300 });
  });

  it('rejects a future timestamp with the observed skew and the limit', () => {
    const error = failure(() =>
      checkFreshness(
        header({ maxFutureSkewSeconds: 30 }),
        { 'x-ts': String(nowSeconds + 31) },
        NOW,
      ),
    );
    expect(error.reason).toMatch(
      /^future timestamp: the request is 31 s in the future, the limit is 30 s/,
    );
    expect(error.details).toMatchObject({ observedAgeSeconds: -31, maxFutureSkewSeconds: 30 });
  });

  it('honours a configured max age', () => {
    const cfg = header({ maxAgeSeconds: 3600 });
    expect(checkFreshness(cfg, { 'x-ts': String(nowSeconds - 3600) }, NOW)).not.toBeNull();
    expect(() => checkFreshness(cfg, { 'x-ts': String(nowSeconds - 3601) }, NOW)).toThrow(
      FreshnessValidationError,
    );
  });

  it('is a configuration error when enabled without a source', () => {
    expect(() => checkFreshness({ enabled: true }, {}, NOW)).toThrow(ProcessingConfigurationError);
  });
});
