import { NotFoundException } from '@nestjs/common';

/** Ids are UUIDs; anything else cannot name a row, so it is a 404 without a query. */
export const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(value: string): boolean {
  return UUID_PATTERN.test(value);
}

export function requireUuid(value: string, what: string): string {
  if (!isUuid(value)) throw new NotFoundException(`${what} ${value} not found`);
  return value;
}

/**
 * The greatest id of some rows (Postgres's uuid order is the order of their lowercase
 * text): where the next batch of a walk in id order starts.
 */
export function greatestId(rows: Array<{ id: string }>): string {
  return rows.reduce((max, row) => (row.id.toLowerCase() > max ? row.id.toLowerCase() : max), '');
}
