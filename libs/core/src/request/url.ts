import { ProcessingConfigurationError } from '../errors/errors';
import { trimTrailing } from '../text/trim-trailing';

/**
 * URL assembly for outbound requests: base URL + rendered path, and the final check that
 * what will be sent is an absolute http(s) URL. Address-level checks (private networks,
 * DNS) belong to the dispatcher, which resolves names; this stays pure.
 */

/** Joins a base URL and a path with exactly one slash between them. */
export function joinUrl(host: string, path: string): string {
  if (!path) return host;
  if (!host) return path;
  const base = trimTrailing(host, '/');
  // A path that is only a query or fragment attaches to the base as it is.
  if (path.startsWith('?') || path.startsWith('#')) return base + path;
  return `${base}/${path.replace(/^\/+/, '')}`;
}

/** Appends query parameters, keeping those already in the URL. */
export function appendQuery(url: string, params: Array<[string, string]>): string {
  if (params.length === 0) return url;
  const parsed = parseHttpUrl(url);
  for (const [name, value] of params) parsed.searchParams.append(name, value);
  return parsed.toString();
}

/** Parses an absolute http(s) URL or throws a configuration error that says what is wrong. */
export function parseHttpUrl(url: string): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ProcessingConfigurationError(
      `"${url}" is not an absolute URL: set the endpoint's targetHost (or its connector's base URL)`,
      { url },
    );
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new ProcessingConfigurationError(`"${url}" must use http or https`, { url });
  }
  return parsed;
}
