/**
 * The outcome of one HTTP attempt as SPEC §5 reads it: the HTTP adapter reports what
 * happened ({@link SendResult}); whether that is done, retried or final, and how long a
 * `Retry-After` asks to wait, is policy and lives here.
 */
export type SendErrorClass =
  | 'timeout'
  | 'connection_refused'
  | 'connection_reset'
  | 'dns'
  | 'refused_address'
  | 'tls'
  | 'network'
  | 'invalid_url';

export type SendResult =
  | {
      ok: true;
      status: number;
      headers: Record<string, string>;
      body: string;
      truncated: boolean;
      durationMs: number;
    }
  | { ok: false; errorClass: SendErrorClass; error: string; durationMs: number };

export type HttpVerdict = 'success' | 'retry' | 'error';

/**
 * SPEC §5 outcome rules: 2xx done; network failures, timeouts, DNS failures, 408, 429 and
 * 5xx are retried; a refused address, an invalid URL, a redirect and any other 4xx are
 * final errors.
 */
export function classifyHttpOutcome(result: SendResult): HttpVerdict {
  if (!result.ok) {
    return result.errorClass === 'refused_address' || result.errorClass === 'invalid_url'
      ? 'error'
      : 'retry';
  }
  const { status } = result;
  if (status >= 200 && status < 300) return 'success';
  if (status === 408 || status === 429 || status >= 500) return 'retry';
  return 'error';
}

/**
 * Seconds to wait from a `Retry-After` header (delta-seconds or an HTTP date), or null when
 * absent or unparseable. Capping by `maxDelaySeconds` is the retry policy's job.
 */
export function parseRetryAfter(header: string | undefined, now: Date): number | null {
  if (header === undefined) return null;
  const value = header.trim();
  if (value === '') return null;
  if (/^\d+$/.test(value)) return Number(value);
  // Every HTTP-date form starts with the day name; anything else (say "-5") is malformed.
  if (!/^[A-Za-z]/.test(value)) return null;
  const at = Date.parse(value);
  if (Number.isNaN(at)) return null;
  return Math.max(0, Math.ceil((at - now.getTime()) / 1000));
}
