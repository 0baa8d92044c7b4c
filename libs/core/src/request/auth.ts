import { ProcessingConfigurationError } from '../errors/errors';
import type { EndpointAuth } from './request.types';

/**
 * Endpoint authentication as request headers or query parameters. Secrets arrive
 * decrypted; nothing here logs or stores them.
 */

export function authHeaders(auth: EndpointAuth | undefined): Record<string, string> {
  if (!auth) return {};
  switch (auth.type) {
    case 'none':
      return {};
    case 'basic': {
      const credentials = Buffer.from(`${auth.username}:${auth.password}`, 'utf8');
      return { Authorization: `Basic ${credentials.toString('base64')}` };
    }
    case 'bearer':
      return { Authorization: `Bearer ${auth.token}` };
    case 'api_key':
      return auth.in === 'query' ? {} : { [auth.name]: auth.value };
    default:
      // Sending without the credentials the endpoint was configured with would leak the
      // request to a receiver that rejects it at best; refuse instead.
      throw new ProcessingConfigurationError(
        `Unknown auth type "${String((auth as { type?: unknown }).type)}"`,
      );
  }
}

/** Query parameters an `api_key` in the query adds to the URL. */
export function authQueryParams(auth: EndpointAuth | undefined): Array<[string, string]> {
  if (auth?.type === 'api_key' && auth.in === 'query') return [[auth.name, auth.value]];
  return [];
}
