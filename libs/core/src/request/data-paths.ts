import { ProcessingConfigurationError } from '../errors/errors';
import { parsePath, setPath } from '../extraction/path';

/**
 * Copy-on-write helpers for building bodies from configuration: request payloads,
 * forwarded payloads and mutations are new values, so the delivery or event they were
 * built from stays exactly as stored.
 */

/** Deep copy of arrays and plain objects; other values (dates, buffers, scalars) are shared. */
export function cloneData<T>(value: T): T {
  if (Array.isArray(value)) return value.map((item: unknown) => cloneData(item)) as T;
  if (value !== null && typeof value === 'object' && isPlainObject(value)) {
    const copy: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) copy[key] = cloneData(item);
    return copy as T;
  }
  return value;
}

/**
 * Writes `value` at `path` in `root` (mutating it) and returns the root. An empty path
 * replaces the whole value. Paths that would write to a prototype are refused as
 * configuration errors.
 */
export function writePath(root: unknown, path: string, value: unknown): unknown {
  if (parsePath(path).length === 0) return value;
  try {
    return setPath(root, path, value);
  } catch (error) {
    throw new ProcessingConfigurationError(error instanceof Error ? error.message : String(error), {
      path,
    });
  }
}

function isPlainObject(value: object): boolean {
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}
