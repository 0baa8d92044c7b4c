import { defineOwn } from '@app/core';

/**
 * Redaction for audit snapshots: whatever a change carried, secrets never reach the audit
 * log. Field names that name a secret lose their value; `…Set` booleans (`secretSet`)
 * stay, since they say only whether a secret exists; stored envelopes (`v1:<keyId>:…`)
 * are redacted wherever they appear; a `{ name, value }` pair whose name is a credential
 * header (`Authorization`, `X-Api-Key`) loses its value.
 */
import { isSensitiveHeaderName, REDACTED } from '@app/core';

/** The placeholder of the one redaction policy (libs/core/src/redaction). */
export { REDACTED };

const SECRET_FIELD =
  /secret|password|passphrase|token|credential|api[-_]?key|authorization|private[-_]?key|key[-_]?hash|cookie/i;
const ENVELOPE = /^v1:[A-Za-z0-9_-]{1,64}:[A-Za-z0-9+/=]*:[A-Za-z0-9+/=]*:[A-Za-z0-9+/=]*$/;
const MAX_DEPTH = 32;

export function isSecretField(name: string): boolean {
  return SECRET_FIELD.test(name);
}

export function redact(value: unknown, depth = 0): unknown {
  if (value === null || value === undefined) return value ?? null;
  if (typeof value === 'string') return ENVELOPE.test(value) ? REDACTED : value;
  if (typeof value !== 'object') return value;
  if (depth >= MAX_DEPTH) return REDACTED;
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map((item) => redact(item, depth + 1));
  const source = value as Record<string, unknown>;
  const credentialPair =
    typeof source.name === 'string' &&
    (isSecretField(source.name) || isSensitiveHeaderName(source.name)) &&
    'value' in source;
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(source)) {
    if (item === undefined) continue;
    // Keys are whatever the request body held: kept as data (core's untrusted-keys).
    if (/Set$/.test(key) && typeof item === 'boolean') defineOwn(out, key, item);
    else if (isSecretField(key) || (credentialPair && key === 'value'))
      defineOwn(out, key, item === null ? null : REDACTED);
    else defineOwn(out, key, redact(item, depth + 1));
  }
  return out;
}
