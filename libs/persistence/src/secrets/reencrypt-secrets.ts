import type { DataSource } from 'typeorm';
import {
  SECRET_COLUMNS,
  SecretColumnsRepository,
  type SecretColumn,
} from '../repositories/secret-columns.repository';
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

export { SECRET_COLUMNS };

export async function reencryptStoredSecrets(
  dataSource: DataSource,
  box: SecretBox,
  options: { batchSize?: number; log?: (line: string) => void } = {},
): Promise<ReencryptReport> {
  const batchSize = options.batchSize ?? 200;
  const report: ReencryptReport = { tables: {}, activeKeyId: box.activeKeyId };
  const columns = new SecretColumnsRepository(dataSource);
  for (const target of SECRET_COLUMNS) {
    const counts = { rows: 0, rewritten: 0, secrets: 0, unreadable: 0 };
    report.tables[target.table] = counts;
    let after = '00000000-0000-0000-0000-000000000000';
    for (;;) {
      const rows = await columns.page(target, after, batchSize);
      if (rows.length === 0) break;
      after = rows[rows.length - 1].id;
      counts.rows += rows.length;
      await columns.transaction(async (rewrite) => {
        for (const row of rows) {
          const moved = moveRow(box, target.shape, row.value, counts);
          if (moved === null) continue;
          const stored =
            target.shape === 'map' ? JSON.stringify(moved.next) : (moved.next as string);
          const previous =
            target.shape === 'map' ? JSON.stringify(row.value) : (row.value as string);
          if (await rewrite(target, row.id, stored, previous)) {
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
