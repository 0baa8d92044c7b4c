import {
  applyDecorators,
  CanActivate,
  createParamDecorator,
  ExecutionContext,
  ForbiddenException,
  Injectable,
  SetMetadata,
  UnauthorizedException,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { createHash } from 'node:crypto';
import { ApiKeysRepository } from '@app/persistence';
import { ApiErrors } from '../common/openapi';
import type { Principal, RequestWithPrincipal, Role } from './principal';

/**
 * Every `/api/v1` route needs `Authorization: Bearer <key>`. Keys are looked up by their
 * SHA-256 on every request (no cache), so a revoked key fails on its very next call.
 * Reads and operator actions need `operator`; configuration writes need `admin`. A
 * `publisher` key may call only the routes marked {@link AllowPublisher} (publishing and
 * reading deliveries): every other route refuses it, so a route added later is closed
 * to publishers until someone decides otherwise.
 */
export const REQUIRED_ROLE = 'hookgate:required-role';
export const PUBLISHER_ALLOWED = 'hookgate:publisher-allowed';
/** Sets the role a route needs; an admin-only route also documents its 403 answer. */
export const RequireRole = (role: Role) =>
  applyDecorators(SetMetadata(REQUIRED_ROLE, role), ...(role === 'admin' ? [ApiErrors(403)] : []));

/** Opens a route to `publisher` keys too (on top of the roles it already admits). */
export const AllowPublisher = () => SetMetadata(PUBLISHER_ALLOWED, true);

export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/**
 * The principal of a live key, or null for an unknown or revoked one; records its use.
 * Shared by the guard and the queue UI's middleware so both accept exactly the same keys.
 */
export async function authenticateApiKey(
  keys: ApiKeysRepository,
  key: string,
): Promise<Principal | null> {
  const row = await keys.touchLive(hashApiKey(key));
  if (!row) return null;
  return { keyId: row.id, tenantId: row.tenantId, role: row.role, name: row.name };
}

@Injectable()
export class ApiKeyGuard implements CanActivate {
  constructor(
    private readonly keys: ApiKeysRepository,
    private readonly reflector: Reflector,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<RequestWithPrincipal>();
    const header = request.headers['authorization'];
    const value = Array.isArray(header) ? header[0] : header;
    const match = value ? /^Bearer\s+(\S+)$/i.exec(value) : null;
    if (!match) throw new UnauthorizedException('missing bearer API key');
    const principal = await authenticateApiKey(this.keys, match[1]);
    if (!principal) throw new UnauthorizedException('unknown or revoked API key');
    request.principal = principal;
    const targets = [context.getHandler(), context.getClass()];
    if (principal.role === 'publisher') {
      if (this.reflector.getAllAndOverride<boolean>(PUBLISHER_ALLOWED, targets)) return true;
      throw new ForbiddenException(
        'a publisher key may only publish and read deliveries: this action needs an operator or admin key',
      );
    }
    const required = this.reflector.getAllAndOverride<Role | undefined>(REQUIRED_ROLE, targets);
    if (required === 'admin' && principal.role !== 'admin') {
      throw new ForbiddenException('this action needs an admin key');
    }
    return true;
  }
}

export const CurrentPrincipal = createParamDecorator(
  (_: unknown, context: ExecutionContext): Principal => {
    const principal = context.switchToHttp().getRequest<RequestWithPrincipal>().principal;
    if (!principal) throw new UnauthorizedException();
    return principal;
  },
);
