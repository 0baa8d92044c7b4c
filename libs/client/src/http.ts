import createClient, { type Client, type Middleware } from 'openapi-fetch';
import type { components, paths } from './schema';

/**
 * The typed HTTP client of the admin API: openapi-fetch over the types openapi-typescript
 * generates from the app's own OpenAPI document (openapi.json, schema.d.ts: regenerate with
 * `npm run client:generate`). It has no dependency on the apps or on Node, so the console
 * bundles it (this file, not the package root, which also holds the BullMQ publisher) and
 * `@hookgate/client` ships it as `@hookgate/client/http`.
 */
export type { components, operations, paths } from './schema';
export type HookgateClient = Client<paths>;
export type Schemas = components['schemas'];
export type ErrorBody = Schemas['ErrorResponse'];

export interface HookgateClientOptions {
  /** The admin origin, e.g. `http://127.0.0.1:3001` (empty: the page's own origin). */
  baseUrl?: string;
  /** The bearer key, or a function read on every request (a key that can change). */
  apiKey?: string | (() => string | undefined);
  fetch?: typeof fetch;
}

export function createHookgateClient(options: HookgateClientOptions = {}): HookgateClient {
  const client = createClient<paths>({
    baseUrl: options.baseUrl ?? '',
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });
  const auth: Middleware = {
    onRequest({ request }) {
      const key = typeof options.apiKey === 'function' ? options.apiKey() : options.apiKey;
      if (key) request.headers.set('authorization', `Bearer ${key}`);
      return request;
    },
  };
  client.use(auth);
  return client;
}
