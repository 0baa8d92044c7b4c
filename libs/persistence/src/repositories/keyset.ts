/**
 * Keyset pagination, the SQL half (the admin API's cursors are decoded to a Position
 * before a repository sees them): newest first, ordered by a time then an id, both
 * descending, so pages stay stable and cheap at any depth — no OFFSET scans.
 */
export interface KeysetPosition {
  /** ISO time with up to microsecond precision. */
  at: string;
  id: string;
}

/**
 * The condition for the rows after `position`: pushes its two parameters onto `params`
 * and returns the SQL, or null for the first page.
 */
export function keysetAfter(
  position: KeysetPosition | null,
  params: unknown[],
  columns: { time: string; id: string },
): string | null {
  if (!position) return null;
  params.push(position.at, position.id);
  return `(${columns.time}, ${columns.id}) < ($${params.length - 1}::timestamptz, $${params.length}::uuid)`;
}
