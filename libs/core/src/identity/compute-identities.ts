/**
 * Owns deriving a request's two identities: the delivery identity (this HTTP delivery; a
 * provider retry carries the same one) and the replay identity (the business event; the
 * same event re-sent as a new delivery carries the same one). The gateway deduplicates on
 * both.
 */
import { Buffer } from 'node:buffer';
import { createHash } from 'node:crypto';
import { PayloadValidationError } from '../errors/errors';
import { getHeader } from '../extraction/headers';
import { getPath } from '../extraction/path';
import { ABSENT, type HeaderBag } from '../extraction/value-source.types';
import type { IdentityConfig, RequestIdentities } from './identity.types';

export const DEFAULT_IDEMPOTENCY_HEADER = 'Idempotency-Key';
/** Identities are stored in indexed columns; longer values are hashed to this bound. */
export const MAX_IDENTITY_LENGTH = 200;

export interface IdentitySource {
  headers: HeaderBag | undefined;
  rawBody: Buffer;
  /** The parsed body (JSON or form), or null when the body is neither. */
  payload: unknown;
}

/**
 * Delivery identity:
 * - `delivery_header`: the header's value; a missing header is a PayloadValidationError,
 *   because the endpoint was configured to rely on it.
 * - `idempotency_key`: the header's value (default `Idempotency-Key`). Senders send the key
 *   only sometimes, so a missing key falls back to the raw-body hash instead of rejecting:
 *   retries of the same body still deduplicate.
 * - `raw_body_sha256`: hex SHA-256 of the raw body.
 * Replay identity:
 * - `none`: null.
 * - `business_event`: the payload value at `path`, as a string; absent, null or empty gives
 *   null (no replay check for this request), not an error.
 * - `idempotency_key`: the header's value (default `Idempotency-Key`), or null.
 * Values longer than MAX_IDENTITY_LENGTH become `sha256:<hex>`.
 */
export function computeIdentities(
  identity: Required<IdentityConfig>,
  req: IdentitySource,
): RequestIdentities {
  return {
    deliveryIdentity: bounded(deliveryIdentity(identity.delivery, req)),
    replayIdentity: boundedOrNull(replayIdentity(identity.replay, req)),
  };
}

function deliveryIdentity(
  config: Required<IdentityConfig>['delivery'],
  req: IdentitySource,
): string {
  switch (config.policy) {
    case 'delivery_header': {
      const name = config.header ?? '';
      const value = headerValue(req.headers, name);
      if (value === null) {
        throw new PayloadValidationError(`missing delivery header ${name}`, { header: name });
      }
      return value;
    }
    case 'idempotency_key':
      return (
        headerValue(req.headers, config.header ?? DEFAULT_IDEMPOTENCY_HEADER) ??
        sha256Hex(req.rawBody)
      );
    case 'raw_body_sha256':
      return sha256Hex(req.rawBody);
  }
}

function replayIdentity(
  config: Required<IdentityConfig>['replay'],
  req: IdentitySource,
): string | null {
  switch (config.policy) {
    case 'none':
      return null;
    case 'business_event':
      return config.path ? stringify(getPath(req.payload, config.path)) : null;
    case 'idempotency_key':
      return headerValue(req.headers, config.header ?? DEFAULT_IDEMPOTENCY_HEADER);
  }
}

function headerValue(headers: HeaderBag | undefined, name: string): string | null {
  if (!name) return null;
  const value = getHeader(headers, name)?.trim();
  return value ? value : null;
}

/** Scalars by their string form; objects and arrays by their JSON. */
function stringify(value: unknown): string | null {
  if (value === ABSENT || value === null || value === undefined) return null;
  let text: string | undefined;
  switch (typeof value) {
    case 'string':
      text = value;
      break;
    case 'number':
    case 'boolean':
    case 'bigint':
      text = String(value);
      break;
    default:
      text = JSON.stringify(value);
  }
  return text ? text : null;
}

function bounded(value: string): string {
  return value.length > MAX_IDENTITY_LENGTH
    ? `sha256:${sha256Hex(Buffer.from(value, 'utf8'))}`
    : value;
}

function boundedOrNull(value: string | null): string | null {
  return value === null ? null : bounded(value);
}

function sha256Hex(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}
