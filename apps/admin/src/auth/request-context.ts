import { AsyncLocalStorage } from 'node:async_hooks';
import {
  Injectable,
  type CallHandler,
  type ExecutionContext,
  type NestInterceptor,
} from '@nestjs/common';
import type { Observable } from 'rxjs';
import type { Principal, RequestWithPrincipal } from './principal';

/**
 * The caller of the request being served, for code below the controllers (the audit log)
 * that must know who acted without every service signature carrying it. ApiKeyGuard
 * resolves the principal; this interceptor (after guards) runs the handler inside it.
 */
const storage = new AsyncLocalStorage<Principal>();

export function currentPrincipal(): Principal | undefined {
  return storage.getStore();
}

/** Runs `work` as `principal` (scripts and tests acting outside an HTTP request). */
export function runAs<T>(principal: Principal, work: () => T): T {
  return storage.run(principal, work);
}

@Injectable()
export class RequestContextInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() !== 'http') return next.handle();
    const principal = context.switchToHttp().getRequest<RequestWithPrincipal>().principal;
    // Nest binds the handler's async context when handle() is called, so calling it
    // inside run() carries the principal through the whole handler.
    return principal ? storage.run(principal, () => next.handle()) : next.handle();
  }
}
