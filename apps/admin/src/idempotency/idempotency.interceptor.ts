import {
  applyDecorators,
  BadRequestException,
  ConflictException,
  Injectable,
  UnprocessableEntityException,
  UseInterceptors,
  type CallHandler,
  type ExecutionContext,
  type NestInterceptor,
} from '@nestjs/common';
import { ApiHeader } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { setTimeout as sleep } from 'node:timers/promises';
import { from, lastValueFrom, type Observable } from 'rxjs';
import type { RequestWithPrincipal } from '../auth/principal';
import { ApiErrors } from '../common/openapi';
import { IDEMPOTENCY_WINDOW_HOURS, IdempotencyStore } from './idempotency.store';
import { requestHash } from './request-hash';

/**
 * `Idempotency-Key` on the admin API's creating POSTs. The first request with a key runs
 * and its answer (status and body) is kept for IDEMPOTENCY_WINDOW_HOURS; a repeat of the
 * same request (method, URL, body) with that key gets that answer again, marked
 * `Idempotent-Replayed: true`, and creates nothing. The key is scoped to the caller's
 * tenant. Another request under a used key is a 422 `idempotency_key_reused`. A repeat
 * that arrives while the first still runs waits for its answer (up to WAIT_MS, then 409
 * `idempotency_key_in_use`). A first request that fails keeps nothing: the key is free
 * again, since nothing was created.
 */
export const IDEMPOTENCY_HEADER = 'idempotency-key';
const KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;
const WAIT_MS = 10_000;

@Injectable()
export class IdempotencyInterceptor implements NestInterceptor {
  constructor(private readonly store: IdempotencyStore) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const request = context.switchToHttp().getRequest<Request & RequestWithPrincipal>();
    const header = request.headers[IDEMPOTENCY_HEADER];
    if (header === undefined || !request.principal) return next.handle();
    const key = Array.isArray(header) ? header.join(', ') : header;
    if (!KEY_PATTERN.test(key)) {
      throw new BadRequestException({
        message: 'validation failed: Idempotency-Key',
        details: [
          {
            field: 'Idempotency-Key',
            problems: ['Idempotency-Key must be 1-255 printable ASCII characters'],
          },
        ],
      });
    }
    const response = context.switchToHttp().getResponse<Response>();
    const tenantId = request.principal.tenantId;
    const hash = requestHash(request.method, request.originalUrl, request.body);
    return from(this.run(tenantId, key, hash, response, next));
  }

  private async run(
    tenantId: string,
    key: string,
    hash: string,
    response: Response,
    next: CallHandler,
  ): Promise<unknown> {
    const deadline = Date.now() + WAIT_MS;
    for (let pause = 25; ; pause = Math.min(pause * 2, 250)) {
      const held = await this.store.reserve(tenantId, key, hash);
      if (held.kind === 'reserved') break;
      if (held.requestHash !== hash) {
        throw new UnprocessableEntityException({
          code: 'idempotency_key_reused',
          message: `Idempotency-Key "${key}" was used with another request (method, path or body) in the last ${IDEMPOTENCY_WINDOW_HOURS} hours`,
        });
      }
      if (held.kind === 'completed') {
        response.status(held.status);
        response.setHeader('Idempotent-Replayed', 'true');
        return held.body;
      }
      if (Date.now() >= deadline) {
        throw new ConflictException({
          code: 'idempotency_key_in_use',
          message: `a request with Idempotency-Key "${key}" is still running: retry later`,
        });
      }
      await sleep(pause);
    }
    let body: unknown;
    try {
      body = await lastValueFrom(next.handle(), { defaultValue: undefined });
    } catch (error) {
      await this.store.release(tenantId, key);
      throw error;
    }
    await this.store.complete(tenantId, key, response.statusCode, body);
    return body;
  }
}

/**
 * Marks a creating POST as honouring `Idempotency-Key` and documents the header and the
 * answers it adds.
 */
export const Idempotent = () =>
  applyDecorators(
    UseInterceptors(IdempotencyInterceptor),
    ApiHeader({
      name: 'Idempotency-Key',
      required: false,
      description:
        `Makes a retry safe: the same request with the same key within ${IDEMPOTENCY_WINDOW_HOURS} h ` +
        'answers the first answer again (with `Idempotent-Replayed: true`) and creates nothing. ' +
        'Scoped to the tenant. Another request under a used key is a 422.',
      schema: { type: 'string', minLength: 1, maxLength: 255, example: 'order-42-create' },
    }),
    ApiErrors(409, 422),
  );
