import { writeAt } from '../untrusted-keys/untrusted-keys';
import { ABSENT, type Absent } from './value-source.types';

export { MAX_ARRAY_INDEX } from '../untrusted-keys/untrusted-keys';

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

/**
 * Sets `value` at `path` inside `root` (mutating it), creating objects — or arrays where
 * the next segment is numeric — along the way. Returns the root (a new object when `root`
 * was not an object). Paths are addresses in the sense of `untrusted-keys`: a prototype
 * key anywhere in them (dotted or bracketed), a huge array index or a non-index key on an
 * array throws an UnsafeKeyError (a TypeError).
 */
export function setPath(
  root: unknown,
  path: string,
  value: unknown,
): Record<string, unknown> | unknown[] {
  return writeAt(root, parsePath(path), value, path);
}
