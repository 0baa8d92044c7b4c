import { createHmac, timingSafeEqual } from 'node:crypto';
import { getQueryValue, type QueryBag } from '@app/core';
import type { EndpointHandshakes } from './endpoint-cache';

/**
 * Providers' URL-verification challenges (SPEC §11), answered only where the endpoint
 * enables them. Slack and Zoom challenges arrive as signed POSTs and are answered after
 * signature and freshness checks; Meta's is an unsigned GET proven by its verify token.
 * A handshake is answered directly and never stored as an event.
 */
export interface HandshakeAnswer {
  status: number;
  body: Record<string, unknown> | string;
}

/** Meta (Facebook/Instagram/WhatsApp) subscription check: `GET ?hub.mode=subscribe&…`. */
export function answerMetaHandshake(
  method: string,
  query: QueryBag,
  handshakes: EndpointHandshakes,
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

/** Slack `url_verification` and Zoom `endpoint.url_validation`, on an already verified body. */
export function answerBodyHandshake(
  payload: unknown,
  handshakes: EndpointHandshakes,
): HandshakeAnswer | null {
  if (payload === null || typeof payload !== 'object' || Array.isArray(payload)) return null;
  const body = payload as Record<string, unknown>;
  if (handshakes.slack && body.type === 'url_verification' && typeof body.challenge === 'string') {
    return { status: 200, body: { challenge: body.challenge } };
  }
  if (handshakes.zoom && body.event === 'endpoint.url_validation') {
    const plainToken = (body.payload as Record<string, unknown> | undefined)?.plainToken;
    const secret = handshakes.zoom.secretToken;
    if (typeof plainToken !== 'string' || !secret)
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
