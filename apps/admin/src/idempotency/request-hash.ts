import { createHash } from 'node:crypto';

/**
 * What makes two requests "the same" for `Idempotency-Key`: method, URL and body, the body
 * in a canonical JSON (object keys sorted at every level) so a client that serialises its
 * keys in another order on a retry is still repeating itself. Nothing is built from the
 * body's keys; the body's depth is bounded by the JSON parser (MAX_JSON_DEPTH).
 */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map((item) => canonicalJson(item)).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const record = value as Record<string, unknown>;
    const entries = Object.keys(record)
      .sort()
      .filter((name) => record[name] !== undefined)
      .map((name) => `${JSON.stringify(name)}:${canonicalJson(record[name])}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

export function requestHash(method: string, url: string, body: unknown): string {
  return createHash('sha256')
    .update(`${method.toUpperCase()}\n${url}\n${canonicalJson(body ?? null)}`, 'utf8')
    .digest('hex');
}
