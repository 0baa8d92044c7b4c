/**
 * The rows of a TypeORM `query()` result. It answers UPDATE/DELETE … RETURNING as
 * `[rows, count]`, and SELECT and INSERT as the rows themselves.
 */
export function rowsOf<T>(result: unknown): T[] {
  if (
    Array.isArray(result) &&
    result.length === 2 &&
    Array.isArray(result[0]) &&
    typeof result[1] === 'number'
  ) {
    return result[0] as T[];
  }
  return result as T[];
}
