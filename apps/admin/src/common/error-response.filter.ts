import {
  ArgumentsHost,
  Catch,
  ExceptionFilter,
  HttpException,
  HttpStatus,
  Logger,
} from '@nestjs/common';
import type { Request, Response } from 'express';
import { isHookgateError } from '@app/core';
import { isPostgresUnavailable } from '@app/persistence';
import { errorCodeFor, isErrorCode, type ErrorCode } from './error-codes';

/**
 * The one place admin errors become HTTP answers, in the contract shape
 * `{ statusCode, error, code, message, details? }`: `code` is the stable machine-readable
 * reason (see error-codes.ts), from the status unless the exception names its own. Core
 * validation errors are 400s; Postgres unreachable is a 503 (`unavailable`); anything
 * unexpected is a 500 with no internals leaked (the log has the stack).
 */
const REASON: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  409: 'Conflict',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Entity',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

/** The contract shape of an admin error answer (also the queue UI's 401/403). */
export interface ErrorResponseBody {
  statusCode: number;
  error: string;
  code: ErrorCode;
  message: string;
  details?: unknown;
}

/** An error answer's body; `code` from the status unless given. */
export function errorResponseBody(
  status: number,
  message: string,
  code?: ErrorCode,
  details?: unknown,
): ErrorResponseBody {
  return {
    statusCode: status,
    error: REASON[status] ?? 'Error',
    code: code ?? errorCodeFor(status),
    message,
    ...(details === undefined ? {} : { details }),
  };
}

/**
 * body-parser and raw-body refuse a request with an http-errors 4xx that carries a `type`:
 * `entity.*` (bad JSON, too large, too deep), `charset.unsupported` and
 * `encoding.unsupported` (415), `request.aborted`, `request.size.invalid`,
 * `parameters.too.many`. All are the client's doing, and they happen before any guard, so
 * a request without a key must get them as the 4xx they are, never a 500. Their own 5xx
 * (`stream.*`: a server bug) stay 500.
 */
function isBodyParserError(error: unknown): error is Error & { status: number; type: string } {
  const e = error as { status?: unknown; type?: unknown } | null;
  return (
    error instanceof Error &&
    typeof e?.type === 'string' &&
    typeof e.status === 'number' &&
    e.status >= 400 &&
    e.status < 500
  );
}

@Catch()
export class ErrorResponseFilter implements ExceptionFilter {
  private readonly logger = new Logger('AdminErrors');

  catch(exception: unknown, host: ArgumentsHost): void {
    const res = host.switchToHttp().getResponse<Response>();
    const req = host.switchToHttp().getRequest<Request>();
    let status = HttpStatus.INTERNAL_SERVER_ERROR;
    let message = 'internal error';
    let details: unknown;
    let code: ErrorCode | undefined;
    if (exception instanceof HttpException) {
      status = exception.getStatus();
      const body = exception.getResponse();
      if (typeof body === 'string') message = body;
      else {
        const b = body as { message?: unknown; details?: unknown; code?: unknown };
        message = Array.isArray(b.message)
          ? b.message.join('; ')
          : String(b.message ?? exception.message);
        details = b.details;
        if (isErrorCode(b.code)) code = b.code;
        // Nest turns body-parser's unparsable JSON and Express's bad %-encoding into plain
        // 400s before any route matched; a route's own 400s come with `req.route` set.
        else if (status === HttpStatus.BAD_REQUEST && !req.route) code = 'malformed_request';
      }
    } else if (isBodyParserError(exception)) {
      // body-parser's refusals (bad JSON, too large, too deep) carry their own 4xx.
      status = exception.status;
      message = exception.message;
      if (status === HttpStatus.BAD_REQUEST) code = 'malformed_request';
    } else if (isHookgateError(exception)) {
      status = HttpStatus.BAD_REQUEST;
      message = exception.reason;
      details = exception.details;
    } else if (isPostgresUnavailable(exception)) {
      // An outage, not a bug (SPEC: Postgres unavailable → 503): the client may retry.
      status = HttpStatus.SERVICE_UNAVAILABLE;
      message = 'the database is unavailable; try again shortly';
      this.logger.warn(`database unavailable: ${String((exception as Error).message)}`);
    } else {
      this.logger.error(
        exception instanceof Error ? (exception.stack ?? exception.message) : String(exception),
      );
    }
    res.status(status).json(errorResponseBody(status, message, code, details));
  }
}
