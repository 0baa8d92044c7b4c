import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * Every admin answer carries `X-Request-Id`, errors included: the caller's own id when it
 * sent a usable one (so its logs and ours name the same request), else a fresh UUID. The
 * id is also the request's `req.id`, which pino-http logs with each request line.
 *
 * A caller's id is echoed into a header and a log line, so only a short id of a safe
 * alphabet is taken; anything else is replaced, not refused.
 */
export const REQUEST_ID_HEADER = 'x-request-id';
const USABLE_REQUEST_ID = /^[\w.:@+=-]{1,128}$/;

export function requestIdOf(header: string | string[] | undefined): string {
  return typeof header === 'string' && USABLE_REQUEST_ID.test(header) ? header : randomUUID();
}

/** Express middleware; mounted ahead of everything else (body parsing included). */
export function requestIdMiddleware(
  req: IncomingMessage & { id?: unknown },
  res: ServerResponse,
  next: () => void,
): void {
  const id = requestIdOf(req.headers[REQUEST_ID_HEADER]);
  req.id = id;
  res.setHeader('X-Request-Id', id);
  next();
}
