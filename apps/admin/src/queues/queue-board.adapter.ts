import { ExpressAdapter } from '@bull-board/express';
import type { ControllerHandlerReturnType } from '@bull-board/api/typings/app';
import { Logger } from '@nestjs/common';
import { errorResponseBody } from '../common/error-response.filter';

/** ioredis's refusals when the server is unreachable (the admin's client fails fast). */
const REDIS_DOWN_MESSAGES = [
  "Stream isn't writeable",
  'Connection is closed',
  'Reached the max retries per request limit',
];
const SOCKET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH']);

/** Whether `error` says Redis could not be reached, rather than a failure on a live server. */
export function isRedisUnavailable(error: unknown): boolean {
  if (!error || typeof error !== 'object') return false;
  const e = error as { code?: unknown; message?: unknown; name?: unknown };
  if (e.name === 'MaxRetriesPerRequestError') return true;
  if (typeof e.code === 'string' && SOCKET_CODES.has(e.code)) return true;
  const message = typeof e.message === 'string' ? e.message : '';
  return REDIS_DOWN_MESSAGES.some((m) => message.includes(m));
}

/**
 * Bull Board's Express adapter, with Redis being away answered as the admin API answers an
 * outage: 503 `unavailable` in the API's error shape, so the client may retry. Bull Board
 * itself would answer any thrown error as a 500 (`ERRORS.INTERNAL_SERVER_ERROR`). Every
 * other error keeps Bull Board's own answer.
 */
export class QueueBoardAdapter extends ExpressAdapter {
  private readonly logger = new Logger('QueueBoard');

  override setErrorHandler(handler: (error: Error) => ControllerHandlerReturnType): this {
    return super.setErrorHandler((error) => {
      if (!isRedisUnavailable(error)) return handler(error);
      this.logger.warn(`queues unavailable: ${error.message}`);
      return {
        // Bull Board's status type lists only the statuses it answers itself; its Express
        // router passes any number to `res.status`.
        status: 503 as ControllerHandlerReturnType['status'],
        body: errorResponseBody(503, 'the queues are unavailable (Redis); try again shortly'),
      };
    });
  }
}
