import { createHash } from 'node:crypto';
import { send, type OutboundCallback } from '@app/core';

/**
 * Example outbound callback — how a team adds its own step before a request goes out.
 * Registered as `content-digest`; attach it to an outbound handler with
 * `executionMode: "callback", callback: "content-digest"` and name that handler in an
 * outbound endpoint's `handler`.
 *
 * It adds `Content-Digest: sha-256=:<base64 SHA-256 of the body>:` (RFC 9530) to the
 * request the endpoint built, so a receiver can check that the body arrived intact — also
 * one it cannot verify a signature for (a plain-hmac header covers the body, but some
 * receivers only read the digest). The body, URL and the signature headers are left as
 * built: the signature still covers these exact bytes.
 */
export const CONTENT_DIGEST_HEADER = 'Content-Digest';

export const contentDigestCallback: OutboundCallback = ({ request, log }) => {
  const digest = createHash('sha256').update(request.body).digest('base64');
  log(`content digest over ${request.body.length} bytes`);
  return send({
    ...request,
    headers: { ...request.headers, [CONTENT_DIGEST_HEADER]: `sha-256=:${digest}:` },
  });
};
