import { BadRequestException } from '@nestjs/common';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, Max, Min } from 'class-validator';
import { ApiPropertyOptional } from '@nestjs/swagger';
import { keysetAfter } from '@app/persistence';
import { isUuid } from './ids';
import { toTimestamp } from './validation';

/**
 * Keyset pagination for every list: newest first, `cursor` is the opaque position after
 * the last item of the previous page (a timestamp and an id), so pages stay stable and
 * cheap at any depth — no OFFSET scans.
 */
export class PageQuery {
  @ApiPropertyOptional({ default: 50, maximum: 500 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(500)
  limit?: number;

  @ApiPropertyOptional({ description: 'nextCursor of the previous page' })
  @IsOptional()
  @IsString()
  cursor?: string;
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export interface Position {
  at: string;
  id: string;
}

/**
 * The times cursors carry: UTC, `toISOString` (milliseconds) or {@link positionAtSql}
 * (microseconds), on a real calendar date. Anything else would reach Postgres as a
 * `timestamptz` it refuses (2026-02-30, year 0, an offset of +23:00): a 500 for a 400.
 */
const CURSOR_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,6})?Z$/;

function isCursorTime(at: string): boolean {
  // A canonical date-time survives the round trip up to the second (no Feb 30, no 24:00).
  return CURSOR_TIME.test(at) && toTimestamp(at)?.slice(0, 19) === at.slice(0, 19);
}

/**
 * A row's position time with Postgres' full (microsecond) precision, as ISO text: select
 * it and use it for {@link Position.at}. A JS Date keeps milliseconds only, so a cursor
 * made from one skips the rows of the same millisecond that sort after it.
 *
 *   SELECT r.*, ${positionAtSql('r.created_at')} FROM …   →   { at: row.position_at, id }
 */
export function positionAtSql(column: string): string {
  return `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS position_at`;
}

export function encodeCursor(position: Position): string {
  return Buffer.from(JSON.stringify([position.at, position.id])).toString('base64url');
}

export function decodeCursor(cursor: string | undefined): Position | null {
  if (!cursor) return null;
  try {
    const [at, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as [
      string,
      string,
    ];
    if (typeof at !== 'string' || typeof id !== 'string' || !isCursorTime(at) || !isUuid(id))
      throw new Error();
    return { at, id };
  } catch {
    throw new BadRequestException({
      message: 'cursor is not valid',
      details: [{ field: 'cursor', problems: ['not a cursor this API issued'] }],
    });
  }
}

/**
 * The keyset condition for the page after `cursor` (newest first, ordered by `time`, then
 * `id`, both descending): pushes its two parameters onto `params` and returns the SQL, or
 * null for the first page. Throws 400 on a cursor this API did not issue.
 */
export function afterCursor(
  cursor: string | undefined,
  params: unknown[],
  columns: { time: string; id: string },
): string | null {
  return keysetAfter(decodeCursor(cursor), params, columns);
}

/** Builds a page from `limit + 1` fetched rows. */
export function toPage<R, T>(
  rows: R[],
  limit: number,
  view: (row: R) => T,
  position: (row: R) => Position,
): Page<T> {
  const items = rows.slice(0, limit);
  const more = rows.length > limit;
  return {
    items: items.map(view),
    nextCursor: more ? encodeCursor(position(items[items.length - 1])) : null,
  };
}
