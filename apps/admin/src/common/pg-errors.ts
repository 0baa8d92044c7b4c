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

/** Shared with the workers and the records store. */
export { rowsOf } from '@app/persistence';
