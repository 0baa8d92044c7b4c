/**
 * The chaos suite runs in two sizes: `full` (`npm run test:chaos`, the numbers of issue 9)
 * and `ci` (`npm run test:chaos:ci`, the last step of `npm test`: every scenario, smaller,
 * under three minutes on a 2-core machine). `CHAOS_PROFILE` picks one; `ci` is the default
 * so a stray `jest --selectProjects chaos` stays short.
 */
export type ChaosProfile = 'full' | 'ci';

export const profile: ChaosProfile = process.env.CHAOS_PROFILE === 'full' ? 'full' : 'ci';

/** `full` when running the full suite, `ci` otherwise. */
export function sized<T>(full: T, ci: T): T {
  return profile === 'full' ? full : ci;
}
