import type { HeaderBag, QueryBag } from './value-source.types';

/**
 * Header and query access. Header names are case-insensitive; repeated headers keep every
 * value. Node lower-cases incoming names, but configs and tests use any case.
 */

/** All values of a header, in order; empty when absent. */
export function getHeaderValues(headers: HeaderBag | undefined, name: string): string[] {
  if (!headers) return [];
  const wanted = name.toLowerCase();
  // Own properties only: a header named `constructor` or `__proto__` must not read the
  // object's prototype.
  const direct = hasOwn(headers, wanted) ? headers[wanted] : undefined;
  const found =
    direct !== undefined
      ? direct
      : Object.entries(headers).find(([key]) => key.toLowerCase() === wanted)?.[1];
  if (found === undefined) return [];
  return Array.isArray(found) ? found : [found];
}

/** The first value of a header, or undefined. */
export function getHeader(headers: HeaderBag | undefined, name: string): string | undefined {
  return getHeaderValues(headers, name)[0];
}

export function getQueryValue(query: QueryBag | undefined, name: string): string | undefined {
  if (!query || !hasOwn(query, name)) return undefined;
  const value = query[name];
  if (value === undefined) return undefined;
  return Array.isArray(value) ? value[0] : value;
}

/**
 * Parameters inside a header value. Handles both `t=123,v1=abc,v1=def` (Stripe) and
 * `key=value; key2="quoted"` (RFC-style). Every occurrence of a key is kept, in order.
 */
export function parseHeaderParams(value: string | undefined): Map<string, string[]> {
  const params = new Map<string, string[]>();
  if (!value) return params;
  for (const raw of splitParams(value)) {
    const piece = raw.trim();
    if (!piece) continue;
    const eq = piece.indexOf('=');
    if (eq <= 0) continue;
    const key = piece.slice(0, eq).trim();
    let val = piece.slice(eq + 1).trim();
    if (val.length >= 2 && val.startsWith('"') && val.endsWith('"')) {
      val = val.slice(1, -1).replace(/\\(.)/g, '$1');
    }
    const list = params.get(key);
    if (list) list.push(val);
    else params.set(key, [val]);
  }
  return params;
}

/**
 * Splits on `,` and `;` outside quoted values, so `a="x,y"` stays one parameter. A quote
 * opens a quoted value only right after `=`; elsewhere it is an ordinary character.
 */
function splitParams(value: string): string[] {
  const pieces: string[] = [];
  let start = 0;
  let quoted = false;
  let previous = '';
  for (let i = 0; i < value.length; i++) {
    const char = value[i];
    if (quoted) {
      if (char === '\\') i++;
      else if (char === '"') quoted = false;
    } else if (char === '"' && previous === '=') {
      quoted = true;
    } else if (char === ',' || char === ';') {
      pieces.push(value.slice(start, i));
      start = i + 1;
    }
    if (char !== ' ' && char !== '\t') previous = char;
  }
  pieces.push(value.slice(start));
  return pieces;
}

function hasOwn(bag: object, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(bag, key);
}

/** The first value of `param` in header `name`. */
export function getHeaderParam(
  headers: HeaderBag | undefined,
  name: string,
  param: string,
): string | undefined {
  for (const value of getHeaderValues(headers, name)) {
    const found = parseHeaderParams(value).get(param);
    if (found && found.length > 0) return found[0];
  }
  return undefined;
}
