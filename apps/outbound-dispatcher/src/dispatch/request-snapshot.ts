import {
  isSensitiveHeaderName,
  REDACTED,
  redactUrl,
  type EndpointAuth,
  type OutboundRequest,
} from '@app/core';

/**
 * What an attempt row keeps of the request it sent: everything an operator needs to
 * reproduce it, minus credentials, redacted when stored (nothing reads them back). Headers
 * the core redaction policy names (Authorization, X-Api-Token header rules, …), our own
 * signature headers, the endpoint's api-key name and credential query parameters are
 * replaced with `[redacted]`; the body is kept up to 64 KiB.
 */
const SIGNATURE_HEADERS = new Set([
  'webhook-signature',
  'x-hub-signature',
  'x-hub-signature-256',
  'stripe-signature',
]);
const BODY_CAP = 64 * 1024;

export interface RequestSnapshot {
  method: string;
  url: string;
  headers: Record<string, string>;
  bodyMode: string;
  body: string;
  bodyBytes: number;
  bodyTruncated: boolean;
}

export function snapshotRequest(
  request: OutboundRequest,
  auth: EndpointAuth,
  extraSensitiveHeaders: string[] = [],
): RequestSnapshot {
  const sensitive = new Set([
    ...SIGNATURE_HEADERS,
    ...extraSensitiveHeaders.map((h) => h.toLowerCase()),
  ]);
  if (auth.type === 'api_key' && auth.in === 'header') sensitive.add(auth.name.toLowerCase());
  const headers = Object.fromEntries(
    Object.entries(request.headers).map(([name, value]) => [
      name,
      sensitive.has(name.toLowerCase()) || isSensitiveHeaderName(name) ? REDACTED : value,
    ]),
  );
  let url = request.url;
  if (auth.type === 'api_key' && auth.in === 'query') {
    const parsed = new URL(request.url);
    if (parsed.searchParams.has(auth.name)) parsed.searchParams.set(auth.name, REDACTED);
    url = parsed.toString();
  }
  url = redactUrl(url);
  const truncated = request.body.length > BODY_CAP;
  return {
    method: request.method,
    url,
    headers,
    bodyMode: request.bodyMode,
    body: request.body.subarray(0, BODY_CAP).toString('utf8'),
    bodyBytes: request.body.length,
    bodyTruncated: truncated,
  };
}
