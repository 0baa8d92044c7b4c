import { Injectable, type NestMiddleware } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { ApiKeysRepository, DEFAULT_TENANT_NAME, TenantsRepository } from '@app/persistence';
import { authenticateApiKey } from '../auth/api-key.guard';
import { errorResponseBody } from '../common/error-response.filter';

/**
 * Guards the queue UI (Bull Board at `/api/queues`). The queues are shared by every tenant
 * and the UI can retry, remove and pause jobs, so it needs an admin key of the `default`
 * tenant (the installation's operators): none or a bad one → 401, any other key → 403.
 *
 * A browser cannot add a bearer header to page loads, so the key is also accepted as the
 * password of HTTP Basic auth (any user name): the 401 carries `WWW-Authenticate: Basic`,
 * the browser prompts once and then sends it with every page and API call of the UI.
 * Its 401/403 bodies are the admin API's error shape (`{ statusCode, error, code, message }`,
 * `code` `unauthorized` / `forbidden`), as the API's guard answers them.
 */
const REALM = 'Basic realm="Hookgate queues", charset="UTF-8"';

export function keyFromAuthorization(header: string | undefined): string | null {
  if (!header) return null;
  const bearer = /^Bearer\s+(\S+)$/i.exec(header);
  if (bearer) return bearer[1];
  const basic = /^Basic\s+([A-Za-z0-9+/=]+)$/i.exec(header);
  if (!basic) return null;
  const decoded = Buffer.from(basic[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  const password = colon === -1 ? '' : decoded.slice(colon + 1);
  return password || null;
}

@Injectable()
export class QueueBoardAuthMiddleware implements NestMiddleware {
  constructor(
    private readonly keys: ApiKeysRepository,
    private readonly tenants: TenantsRepository,
  ) {}

  async use(req: Request, res: Response, next: NextFunction): Promise<void> {
    try {
      const key = keyFromAuthorization(req.headers.authorization);
      if (!key)
        return this.refuse(res, 401, 'missing API key (Bearer, or Basic with the key as password)');
      const principal = await authenticateApiKey(this.keys, key);
      if (!principal) return this.refuse(res, 401, 'unknown or revoked API key');
      if (principal.role !== 'admin')
        return this.refuse(res, 403, 'the queue UI needs an admin key');
      if (!(await this.tenants.isNamed(principal.tenantId, DEFAULT_TENANT_NAME))) {
        return this.refuse(
          res,
          403,
          'the queue UI spans every tenant: it needs an admin key of the default tenant',
        );
      }
      next();
    } catch (error) {
      next(error);
    }
  }

  private refuse(res: Response, status: 401 | 403, message: string): void {
    if (status === 401) res.setHeader('WWW-Authenticate', REALM);
    res.status(status).json(errorResponseBody(status, message));
  }
}
