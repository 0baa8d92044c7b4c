import { RE2JS } from 're2js';

/**
 * Regular expressions for the `matches` operator (SPEC §3). Patterns run on RE2JS, a
 * linear-time RE2 engine, so no pattern — `(a+)+$` included — can stall a worker by
 * backtracking. RE2 refuses what it cannot run in linear time (back-references,
 * look-around); those patterns are reported at save time by `validatePattern` and evaluate
 * to false with an error at run time. Compiled patterns (and refusals) are kept in a
 * bounded LRU so a hot rule compiles once per process.
 *
 * Linear is not the same as cheap: a short pattern with large counted repetitions
 * (`(x|xx){1000}!`) compiles to thousands of instructions, overflows the engine's lazy-DFA
 * cache and falls back to NFA simulation, measured at ~2 minutes on a 1 MiB value. The
 * program-size cap keeps every accepted pattern on the fast path (~0.1 s per MiB measured
 * at the cap).
 */

export const MAX_PATTERN_LENGTH = 1000;
export const MAX_PROGRAM_SIZE = 2000;
const CACHE_LIMIT = 500;

export type CompiledPattern = { ok: true; regex: RE2JS } | { ok: false; reason: string };

const cache = new Map<string, CompiledPattern>();

/** Compiles (or fetches from the cache) a pattern; never throws. */
export function compilePattern(pattern: unknown): CompiledPattern {
  if (typeof pattern !== 'string') {
    return { ok: false, reason: 'the pattern of "matches" must be a string' };
  }
  const cached = cache.get(pattern);
  if (cached) {
    // Re-insert so the Map's insertion order tracks recency.
    cache.delete(pattern);
    cache.set(pattern, cached);
    return cached;
  }
  const compiled = compileUncached(pattern);
  if (cache.size >= CACHE_LIMIT) {
    const oldest = cache.keys().next();
    if (!oldest.done) cache.delete(oldest.value);
  }
  cache.set(pattern, compiled);
  return compiled;
}

/** Save-time check: null when the pattern is usable, else the reason it is refused. */
export function validatePattern(pattern: unknown): string | null {
  const compiled = compilePattern(pattern);
  return compiled.ok ? null : compiled.reason;
}

/** Number of patterns currently cached (for tests and metrics). */
export function patternCacheSize(): number {
  return cache.size;
}

function compileUncached(pattern: string): CompiledPattern {
  if (pattern.length > MAX_PATTERN_LENGTH) {
    return {
      ok: false,
      reason: `pattern is ${pattern.length} characters long; the limit is ${MAX_PATTERN_LENGTH}`,
    };
  }
  let regex: RE2JS;
  try {
    regex = RE2JS.compile(pattern);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return {
      ok: false,
      reason: `pattern ${JSON.stringify(pattern)} is invalid or unsupported by the safe RE2 engine (no back-references or look-around): ${message}`,
    };
  }
  const size = regex.programSize();
  if (size > MAX_PROGRAM_SIZE) {
    return {
      ok: false,
      reason: `pattern ${JSON.stringify(pattern)} is too complex (program size ${size}, limit ${MAX_PROGRAM_SIZE}): reduce counted repetitions such as {1000}`,
    };
  }
  return { ok: true, regex };
}
