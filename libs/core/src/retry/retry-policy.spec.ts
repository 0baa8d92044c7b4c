import fc from 'fast-check';
import {
  attemptsExhausted,
  DEFAULT_RETRY_POLICY,
  nextRetryDelaySeconds,
  withRetryDefaults,
} from './retry-policy';

describe('retry policy', () => {
  it('has the SPEC defaults', () => {
    expect(DEFAULT_RETRY_POLICY).toEqual({
      maxAttempts: 10,
      initialDelaySeconds: 60,
      multiplier: 2,
      maxDelaySeconds: 86400,
    });
    expect(withRetryDefaults({ maxAttempts: 3 })).toEqual({
      ...DEFAULT_RETRY_POLICY,
      maxAttempts: 3,
    });
    expect(withRetryDefaults(null)).toEqual(DEFAULT_RETRY_POLICY);
  });

  it('grows exponentially up to the cap, scaled by the jitter draw', () => {
    const top = () => 1;
    expect(nextRetryDelaySeconds(DEFAULT_RETRY_POLICY, 1, null, top)).toBe(60);
    expect(nextRetryDelaySeconds(DEFAULT_RETRY_POLICY, 2, null, top)).toBe(120);
    expect(nextRetryDelaySeconds(DEFAULT_RETRY_POLICY, 5, null, top)).toBe(960);
    expect(nextRetryDelaySeconds(DEFAULT_RETRY_POLICY, 30, null, top)).toBe(86400);
    expect(nextRetryDelaySeconds(DEFAULT_RETRY_POLICY, 3, null, () => 0.5)).toBe(120);
    expect(nextRetryDelaySeconds(DEFAULT_RETRY_POLICY, 3, null, () => 0)).toBe(0);
  });

  it('honours Retry-After, capped by maxDelaySeconds', () => {
    expect(nextRetryDelaySeconds(DEFAULT_RETRY_POLICY, 1, 2)).toBe(2);
    expect(nextRetryDelaySeconds({ ...DEFAULT_RETRY_POLICY, maxDelaySeconds: 10 }, 1, 3600)).toBe(
      10,
    );
    expect(nextRetryDelaySeconds(DEFAULT_RETRY_POLICY, 1, -5, () => 1)).toBe(60);
  });

  it('never exceeds the cap or goes negative (full jitter)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 100 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (attempts, r) => {
          const delay = nextRetryDelaySeconds(DEFAULT_RETRY_POLICY, attempts, null, () => r);
          return delay >= 0 && delay <= DEFAULT_RETRY_POLICY.maxDelaySeconds;
        },
      ),
    );
  });

  it('is exhausted at maxAttempts', () => {
    expect(attemptsExhausted(DEFAULT_RETRY_POLICY, 9)).toBe(false);
    expect(attemptsExhausted(DEFAULT_RETRY_POLICY, 10)).toBe(true);
  });
});
