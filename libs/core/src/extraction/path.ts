import { ABSENT, type Absent } from './value-source.types';

/**
 * Dot paths into JSON values: `data.object.status`, `items.0.sku`, `items[0].sku`.
 * A segment that leads nowhere yields ABSENT — never an exception — whatever the input.
 */

const pathCache = new Map<string, string[]>();
const PATH_CACHE_LIMIT = 10_000;

/** Splits a path into segments; `a.b[0].c` and `a.b.0.c` give the same segments. */
export function parsePath(path: string): string[] {
  const cached = pathCache.get(path);
  if (cached) return cached;
  const segments = path
    .replace(/\[(\d+)\]/g, '.$1')
    .split('.')
    .filter((segment) => segment.length > 0);
  if (pathCache.size >= PATH_CACHE_LIMIT) pathCache.clear();
  pathCache.set(path, segments);
  return segments;
}

export function getPath(root: unknown, path: string | readonly string[]): unknown {
  const segments = typeof path === 'string' ? parsePath(path) : path;
  let current: unknown = root;
  for (const segment of segments) {
    if (current === null || typeof current !== 'object') return ABSENT;
    if (Array.isArray(current)) {
      if (!/^\d+$/.test(segment)) return ABSENT;
      const index = Number(segment);
      if (index >= current.length) return ABSENT;
      current = current[index];
    } else {
      if (!Object.prototype.hasOwnProperty.call(current, segment)) return ABSENT;
      current = (current as Record<string, unknown>)[segment];
    }
    if (current === undefined) return ABSENT;
  }
  // An empty path returns the root itself; `undefined` is "no value" there too.
  return current === undefined ? ABSENT : current;
}

export function isAbsent(value: unknown): value is Absent {
  return value === ABSENT;
}

/** Segments that would write to an object's prototype are refused. */
const FORBIDDEN_SEGMENTS = new Set(['__proto__', 'prototype', 'constructor']);
/**
 * Array indexes a path may write. `items.4000000000` would make a sparse array whose JSON
 * is billions of `null`s — enough to exhaust a worker's memory when the body is serialised.
 */
export const MAX_ARRAY_INDEX = 10_000;

/**
 * Sets `value` at `path` inside `root` (mutating it), creating objects — or arrays where
 * the next segment is numeric — along the way. Returns the root (a new object when `root`
 * was not an object).
 */
export function setPath(
  root: unknown,
  path: string,
  value: unknown,
): Record<string, unknown> | unknown[] {
  const segments = parsePath(path);
  const base: Record<string, unknown> | unknown[] =
    root !== null && typeof root === 'object' ? (root as Record<string, unknown>) : {};
  if (segments.length === 0) return base;
  let current: Record<string, unknown> | unknown[] = base;
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i];
    if (FORBIDDEN_SEGMENTS.has(segment)) {
      throw new TypeError(`Refusing to write path segment "${segment}" in "${path}"`);
    }
    const last = i === segments.length - 1;
    const key: string | number =
      Array.isArray(current) && /^\d+$/.test(segment) ? Number(segment) : segment;
    if (typeof key === 'number' && key > MAX_ARRAY_INDEX) {
      throw new TypeError(
        `Refusing to write array index ${segment} in "${path}" (limit ${MAX_ARRAY_INDEX})`,
      );
    }
    if (last) {
      (current as Record<string | number, unknown>)[key] = value;
      break;
    }
    let next = (current as Record<string | number, unknown>)[key];
    if (next === null || typeof next !== 'object') {
      next = /^\d+$/.test(segments[i + 1]) ? [] : {};
      (current as Record<string | number, unknown>)[key] = next;
    }
    current = next as Record<string, unknown> | unknown[];
  }
  return base;
}
