/**
 * Outbound retry timing (SPEC §5): exponential backoff with full jitter, capped, with a
 * provider's `Retry-After` honoured (and capped too). Pure: the random source is passed in.
 */
export interface RetryPolicy {
  maxAttempts: number;
  initialDelaySeconds: number;
  multiplier: number;
  maxDelaySeconds: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxAttempts: 10,
  initialDelaySeconds: 60,
  multiplier: 2,
  maxDelaySeconds: 86_400,
};

export function withRetryDefaults(policy: Partial<RetryPolicy> | null | undefined): RetryPolicy {
  return { ...DEFAULT_RETRY_POLICY, ...(policy ?? {}) };
}

/**
 * Seconds to wait before the attempt after `attemptsMade` attempts. Full jitter: a
 * uniform draw in [0, min(cap, initial × multiplier^(n-1))], so a burst of failures
 * spreads out instead of retrying in lockstep.
 */
export function nextRetryDelaySeconds(
  policy: RetryPolicy,
  attemptsMade: number,
  retryAfterSeconds: number | null = null,
  random: () => number = Math.random,
): number {
  if (retryAfterSeconds !== null && Number.isFinite(retryAfterSeconds) && retryAfterSeconds >= 0) {
    return Math.min(retryAfterSeconds, policy.maxDelaySeconds);
  }
  const exponent = Math.max(0, attemptsMade - 1);
  const ceiling = Math.min(
    policy.maxDelaySeconds,
    policy.initialDelaySeconds * Math.pow(policy.multiplier, exponent),
  );
  return Math.max(0, ceiling * random());
}

export function attemptsExhausted(policy: RetryPolicy, attemptsMade: number): boolean {
  return attemptsMade >= policy.maxAttempts;
}
