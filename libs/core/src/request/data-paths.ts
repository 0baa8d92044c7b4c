import { ProcessingConfigurationError } from '../errors/errors';
import { parsePath, setPath } from '../extraction/path';
import { cloneData } from '../untrusted-keys/untrusted-keys';

/**
 * Copy-on-write helpers for building bodies from configuration: request payloads,
 * forwarded payloads and mutations are new values, so the delivery or event they were
 * built from stays exactly as stored.
 */

/** Deep copy of arrays and plain objects (keys kept as data); see untrusted-keys. */
export { cloneData };

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
