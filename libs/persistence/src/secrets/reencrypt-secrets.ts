import type { DataSource } from 'typeorm';
import type { SecretBox } from './secret-box';

/**
 * Moves every stored secret under the SecretBox's active key (key rotation, SPEC §3):
 * endpoint signing secrets, handshake tokens and auth credentials (the `secrets` maps of
 * inbound and outbound endpoints) and connector credentials. Rows are read in id order in
 * small batches, each batch in its own short transaction, and a row is rewritten only if
 * it still holds what was read (a concurrent admin save already used the active key).
 * Envelopes already under the active key are left alone, so a second run rewrites nothing.
 * A secret whose key is not configured is counted as `unreadable` and left as it is.
 */
export interface ReencryptReport {
  /** Per table: rows scanned, rows rewritten, secrets moved, secrets that could not be read. */
  tables: Record<string, { rows: number; rewritten: number; secrets: number; unreadable: number }>;
  activeKeyId: string;
}

interface SecretColumn {
  table: string;
  column: string;
  /** `map`: a jsonb object of envelopes; `envelope`: one text envelope. */
  shape: 'map' | 'envelope';
}

export const SECRET_COLUMNS: readonly SecretColumn[] = [
  { table: 'inbound_endpoints', column: 'secrets', shape: 'map' },
  { table: 'outbound_endpoints', column: 'secrets', shape: 'map' },
  { table: 'connectors', column: 'credentials', shape: 'envelope' },
];

export async function reencryptStoredSecrets(
  dataSource: DataSource,
  box: SecretBox,
  options: { batchSize?: number; log?: (line: string) => void } = {},
): Promise<ReencryptReport> {
  const batchSize = options.batchSize ?? 200;
  const report: ReencryptReport = { tables: {}, activeKeyId: box.activeKeyId };
  for (const target of SECRET_COLUMNS) {
    const counts = { rows: 0, rewritten: 0, secrets: 0, unreadable: 0 };
    report.tables[target.table] = counts;
    let after = '00000000-0000-0000-0000-000000000000';
    for (;;) {
      const rows: Array<{ id: string; value: unknown }> = await dataSource.query(
        `SELECT id, ${target.column} AS value FROM ${target.table}
          WHERE id > $1 AND ${target.column} IS NOT NULL ORDER BY id LIMIT $2`,
        [after, batchSize],
      );
      if (rows.length === 0) break;
      after = rows[rows.length - 1].id;
      counts.rows += rows.length;
      await dataSource.transaction(async (manager) => {
        for (const row of rows) {
          const moved = moveRow(box, target.shape, row.value, counts);
          if (moved === null) continue;
          const stored =
            target.shape === 'map' ? JSON.stringify(moved.next) : (moved.next as string);
          const previous =
            target.shape === 'map' ? JSON.stringify(row.value) : (row.value as string);
          const result: unknown = await manager.query(
            target.shape === 'map'
              ? `UPDATE ${target.table} SET ${target.column} = $2::jsonb WHERE id = $1 AND ${target.column} = $3::jsonb`
              : `UPDATE ${target.table} SET ${target.column} = $2 WHERE id = $1 AND ${target.column} = $3`,
            [row.id, stored, previous],
          );
          if (affected(result) > 0) {
            counts.rewritten += 1;
            counts.secrets += moved.count;
          }
        }
      });
      options.log?.(
        `${target.table}: ${counts.rows} rows scanned, ${counts.rewritten} rewritten so far`,
      );
    }
  }
  return report;
}

/** The row's value with every envelope under the active key, or null if nothing moves. */
function moveRow(
  box: SecretBox,
  shape: SecretColumn['shape'],
  value: unknown,
  counts: { unreadable: number },
): { next: unknown; count: number } | null {
  let count = 0;
  const move = (envelope: unknown): unknown => {
    if (!box.isEnvelope(envelope) || box.keyIdOf(envelope) === box.activeKeyId) return envelope;
    try {
      const next = box.reencrypt(envelope);
      count += 1;
      return next;
    } catch {
      counts.unreadable += 1;
      return envelope;
    }
  };
  if (shape === 'envelope') {
    const next = move(value);
    return count > 0 ? { next, count } : null;
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return null;
  const next = Object.fromEntries(
    Object.entries(value as Record<string, unknown>).map(([name, envelope]) => [
      name,
      move(envelope),
    ]),
  );
  return count > 0 ? { next, count } : null;
}

/** TypeORM answers an UPDATE as `[rows, affected]` with the pg driver. */
function affected(result: unknown): number {
  if (Array.isArray(result) && typeof result[1] === 'number') return result[1];
  return 0;
}
