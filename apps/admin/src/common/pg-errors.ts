import { ConflictException } from '@nestjs/common';

/** Maps Postgres constraint violations to 409s with the constraint's meaning. */
export function isUniqueViolation(error: unknown): boolean {
  return (error as { code?: string } | null)?.code === '23505';
}

export async function conflictOnDuplicate<T>(work: () => Promise<T>, message: string): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (
      isUniqueViolation(error) ||
      isUniqueViolation((error as { driverError?: unknown }).driverError)
    ) {
      throw new ConflictException(message);
    }
    throw error;
  }
}

/** TypeORM's `query()` answers UPDATE … RETURNING as `[rows, count]`; SELECT as rows. */
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
