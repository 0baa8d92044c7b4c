/**
 * A value read from Postgres or Redis when Prometheus scrapes: one read serves every scrape
 * for `ttlMs`, and a read slower than `timeoutMs` is given up (rejected), so scrapes can
 * neither hammer a dependency nor hang on it.
 */
export function cachedReading<T>(
  read: () => Promise<T>,
  { ttlMs = 5_000, timeoutMs = 1_000 } = {},
): () => Promise<T> {
  let cache: { at: number; value: Promise<T> } | null = null;
  return () => {
    const now = Date.now();
    if (!cache || now - cache.at >= ttlMs)
      cache = { at: now, value: withTimeout(read(), timeoutMs) };
    return cache.value;
  };
}

export function withTimeout<T>(work: Promise<T>, timeoutMs: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`read timed out after ${timeoutMs} ms`)), timeoutMs);
  });
  work.catch(() => undefined); // a late rejection after the timeout is expected, not unhandled
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}
