import { createHmac, timingSafeEqual } from 'node:crypto';
import { getQueryValue } from '../extraction/headers';
import type { QueryBag } from '../extraction/value-source.types';
import { checkFreshness } from '../freshness/check-freshness';
import type { TimestampConfig } from '../freshness/freshness.types';
import type { ResolvedSignatureConfig, SignableRequest } from '../signature/signature.types';
import { verifySignature } from '../signature/verify-signature';

/**
 * Providers' URL-verification challenges (SPEC §11), answered only where the endpoint
 * enables them, and never for a request the provider would have signed but did not:
 * - Slack `url_verification` echoes a challenge (no secret involved) and is answered only
 *   after the endpoint's own signature and freshness checks.
 * - Zoom `endpoint.url_validation` answers an HMAC of the sent token under the app's secret
 *   token. Answering it for anyone would be a signing oracle for that secret (Zoom signs
 *   its events with the same secret: a forged `plainToken` of `v0:<ts>:<body>` would come
 *   back as a valid `x-zm-signature`), so the request's own `x-zm-signature` must verify
 *   under the secret token, whatever the endpoint's signature settings.
 * - Meta's `GET ?hub.mode=subscribe` is not signed by Meta; it is proven by the verify
 *   token and only echoes `hub.challenge`.
 * A handshake is answered directly and never stored as an event. Provider knowledge, like
 * the presets beside it; the gateway only calls these.
 */
export interface HandshakeAnswer {
  status: number;
  body: Record<string, unknown> | string;
}

/** The handshakes an endpoint enables, with their secrets. */
export interface HandshakeSettings {
  slack?: boolean;
  meta?: { verifyToken?: string };
  zoom?: { secretToken?: string };
}

/** A handshake's name, as an endpoint's settings enable it. */
export type HandshakeName = keyof HandshakeSettings;

/** Each handshake as an operator reads it, and the write-only token it needs (if any). */
export const HANDSHAKES: Readonly<
  Record<
    HandshakeName,
    { label: string; token?: { field: 'verifyToken' | 'secretToken'; label: string } }
  >
> = {
  slack: { label: 'Answer Slack url_verification' },
  meta: {
    label: "Answer Meta's verification (GET hub.challenge)",
    token: { field: 'verifyToken', label: 'Meta verify token' },
  },
  zoom: {
    label: 'Answer Zoom endpoint.url_validation',
    token: { field: 'secretToken', label: 'Zoom secret token' },
  },
};

/** Zoom: `x-zm-signature: v0=<hex>` over `v0:<x-zm-request-timestamp>:<body>`. */
const ZOOM_SIGNATURE: Omit<ResolvedSignatureConfig, 'secrets'> = {
  mode: 'hmac',
  digest: 'sha256',
  encoding: 'hex',
  secretEncoding: 'utf8',
  header: 'x-zm-signature',
  prefix: 'v0=',
  headerFormat: 'plain',
  headerKey: '',
  version: 'v1',
  parts: [
    { kind: 'literal', value: 'v0:' },
    { kind: 'header', name: 'x-zm-request-timestamp' },
    { kind: 'literal', value: ':' },
    { kind: 'body' },
  ],
};

const ZOOM_TIMESTAMP: TimestampConfig = {
  enabled: true,
  header: 'x-zm-request-timestamp',
  format: 'unix_seconds',
  maxAgeSeconds: 300,
  maxFutureSkewSeconds: 300,
};

/** Meta (Facebook/Instagram/WhatsApp) subscription check: `GET ?hub.mode=subscribe&…`. */
export function answerMetaHandshake(
  method: string,
  query: QueryBag,
  handshakes: HandshakeSettings,
): HandshakeAnswer | null {
  if (method !== 'GET' || !handshakes.meta) return null;
  if (getQueryValue(query, 'hub.mode') !== 'subscribe') return null;
  const expected = handshakes.meta.verifyToken;
  const given = getQueryValue(query, 'hub.verify_token') ?? '';
  if (!expected || !sameString(given, expected)) {
    return { status: 403, body: { error: 'verify_token_mismatch' } };
  }
  return { status: 200, body: getQueryValue(query, 'hub.challenge') ?? '' };
}

/**
 * Slack `url_verification` and Zoom `endpoint.url_validation`, on a body that passed the
 * endpoint's checks. Throws SignatureValidationError (401) or FreshnessValidationError
 * (400) for a Zoom validation that Zoom did not sign, or signed too long ago.
 */
export function answerBodyHandshake(
  payload: unknown,
  handshakes: HandshakeSettings,
  request: SignableRequest,
  now: Date,
): HandshakeAnswer | null {
  if (payload === null || typeof payload !== 'object' || Array.isArray(payload)) return null;
  const body = payload as Record<string, unknown>;
  if (handshakes.slack && body.type === 'url_verification' && typeof body.challenge === 'string') {
    return { status: 200, body: { challenge: body.challenge } };
  }
  if (handshakes.zoom && body.event === 'endpoint.url_validation') {
    const secret = handshakes.zoom.secretToken;
    if (!secret) return { status: 400, body: { error: 'handshake_invalid' } };
    verifySignature({ ...ZOOM_SIGNATURE, secrets: [secret] }, request);
    checkFreshness(ZOOM_TIMESTAMP, request.headers, now);
    const plainToken = (body.payload as Record<string, unknown> | undefined)?.plainToken;
    if (typeof plainToken !== 'string')
      return { status: 400, body: { error: 'handshake_invalid' } };
    const encryptedToken = createHmac('sha256', secret).update(plainToken).digest('hex');
    return { status: 200, body: { plainToken, encryptedToken } };
  }
  return null;
}

function sameString(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}
