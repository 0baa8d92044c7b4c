import { ProcessingConfigurationError } from '../errors/errors';
import { defineOwn, getOwn } from '../untrusted-keys/untrusted-keys';

/**
 * Header maps for outgoing requests. Names keep the case they were configured with (some
 * receivers are picky), but a later layer replaces an earlier one case-insensitively, so
 * `authorization` from a connector overrides `Authorization` from a header rule.
 */

/**
 * Sets a header, first removing any header with the same name in another case. Names come
 * from configuration and assignments (`headers.X-Name`): kept as data (untrusted-keys).
 */
export function setHeader(headers: Record<string, string>, name: string, value: string): void {
  removeHeader(headers, name);
  defineOwn(headers, name, value);
}

export function removeHeader(headers: Record<string, string>, name: string): void {
  const wanted = name.toLowerCase();
  for (const key of Object.keys(headers)) {
    if (key.toLowerCase() === wanted) delete headers[key];
  }
}

/** The value of a header in any case, or undefined. */
export function findHeader(headers: Record<string, string>, name: string): string | undefined {
  const wanted = name.toLowerCase();
  const key = Object.keys(headers).find((candidate) => candidate.toLowerCase() === wanted);
  return key === undefined ? undefined : (getOwn(headers, key) as string);
}

/** Merges layers left to right; a later layer wins over an earlier one, whatever the case. */
export function mergeHeaders(
  ...layers: Array<Record<string, string> | undefined>
): Record<string, string> {
  const merged: Record<string, string> = {};
  for (const layer of layers) {
    if (!layer) continue;
    for (const [name, value] of Object.entries(layer)) setHeader(merged, name, value);
  }
  return merged;
}

/** RFC 9110 token characters. */
const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** What Node's HTTP client accepts in a value: no CR, LF, NUL or characters above U+00FF. */
const HEADER_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;

/**
 * Refuses headers Node would throw on at send time (or that would split the request),
 * so a bad header rule or context value becomes a configuration error with a reason.
 */
export function assertValidHeader(name: string, value: string): void {
  if (!HEADER_NAME.test(name)) {
    throw new ProcessingConfigurationError(`Invalid header name ${JSON.stringify(name)}`, {
      header: name,
    });
  }
  if (!HEADER_VALUE.test(value)) {
    throw new ProcessingConfigurationError(
      `Header "${name}" has a value with control or non-Latin-1 characters`,
      { header: name },
    );
  }
}
