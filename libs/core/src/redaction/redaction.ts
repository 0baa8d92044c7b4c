/**
 * The one redaction policy for headers and query parameters that Hookgate shows or keeps:
 * which names carry a credential, and what replaces their values. Secrets are write-only
 * for everyone, admins included: the admin API shows `[redacted]` where a sender's
 * `Authorization`, a `?token=`, a sink's `set-cookie` or an endpoint's `X-Api-Token` header
 * rule was.
 *
 * Signature headers (`X-Hub-Signature-256`, `Stripe-Signature`, `webhook-signature`) are
 * not credentials and stay visible on inbound events: each is a MAC over one body, useless
 * for signing anything else (freshness and replay identity refuse it again), and an
 * operator debugging a signature mismatch needs it. A `signature`/`sig` query parameter is
 * different: in a pre-signed URL (S3, Azure SAS) it is the bearer credential, so it is
 * redacted.
 */
export const REDACTED = '[redacted]';

const SENSITIVE_HEADERS = new Set([
  'authorization',
  'proxy-authorization',
  'cookie',
  'set-cookie',
  'x-api-key',
  'api-key',
  'apikey',
  'x-amz-security-token',
]);
/** A header whose name contains one of these names a credential. */
const SENSITIVE_HEADER_PARTS = [
  'token',
  'secret',
  'password',
  'passwd',
  'api-key',
  'api_key',
  'apikey',
  'credential',
  'session',
  'cookie',
  'auth',
];

const SENSITIVE_QUERY = new Set(['key', 'sig', 'pwd', 'pass', 'auth', 'code', 'jwt']);
/** A query parameter whose name contains one of these names a credential. */
const SENSITIVE_QUERY_PARTS = [
  'token',
  'secret',
  'password',
  'passwd',
  'api-key',
  'api_key',
  'apikey',
  'signature',
  'credential',
  'session',
  'auth',
];

export function isSensitiveHeaderName(name: string): boolean {
  const lower = name.toLowerCase();
  return SENSITIVE_HEADERS.has(lower) || SENSITIVE_HEADER_PARTS.some((p) => lower.includes(p));
}

export function isSensitiveQueryName(name: string): boolean {
  const lower = name.toLowerCase();
  return SENSITIVE_QUERY.has(lower) || SENSITIVE_QUERY_PARTS.some((p) => lower.includes(p));
}

function redactBag<T>(bag: T, sensitive: (name: string) => boolean): T {
  if (bag === null || typeof bag !== 'object' || Array.isArray(bag)) return bag;
  const entries = Object.entries(bag);
  if (!entries.some(([name]) => sensitive(name))) return bag;
  const out: Record<string, unknown> = {};
  for (const [name, value] of entries) {
    Object.defineProperty(out, name, {
      value: sensitive(name) && value !== null && value !== undefined ? REDACTED : value,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return out as T;
}

/** A header bag with credential values replaced; itself when it holds none. */
export function redactHeaders<T>(headers: T): T {
  return redactBag(headers, isSensitiveHeaderName);
}

/** A query bag (values or arrays of values) with credential values replaced. */
export function redactQuery<T>(query: T): T {
  return redactBag(query, isSensitiveQueryName);
}

/**
 * A URL, absolute or a path with its query (`/webhooks/x?token=…`), with credential query
 * values replaced; itself when it has none. The query of a URL that is changed is
 * re-encoded (URLSearchParams form), which is fine for display.
 */
export function redactUrl(url: string): string {
  const q = url.indexOf('?');
  if (q === -1) return url;
  const hash = url.indexOf('#', q);
  const end = hash === -1 ? url.length : hash;
  const params = new URLSearchParams(url.slice(q + 1, end));
  let changed = false;
  const kept = new URLSearchParams();
  for (const [name, value] of params) {
    const hide = isSensitiveQueryName(name);
    changed ||= hide;
    kept.append(name, hide ? REDACTED : value);
  }
  if (!changed) return url;
  return `${url.slice(0, q)}?${kept.toString()}${url.slice(end)}`;
}

/** Header rules (`{ name, value }`) whose name is a credential header show no value. */
export function redactHeaderRules<T extends { name: string; value: string }>(rules: T[]): T[] {
  return rules.map((rule) =>
    isSensitiveHeaderName(rule.name) ? { ...rule, value: REDACTED } : rule,
  );
}
