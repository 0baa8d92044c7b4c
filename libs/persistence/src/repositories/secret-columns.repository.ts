import type { DataSource, EntityManager } from 'typeorm';

/** A column holding secrets at rest (libs/persistence/src/secrets/reencrypt-secrets.ts). */
export interface SecretColumn {
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

/**
 * The secret columns as key rotation reads and rewrites them: pages in id order, and a
 * rewrite guarded by the value read (a concurrent admin save wins). Table and column
 * names come from {@link SECRET_COLUMNS} only, never from input.
 */
export class SecretColumnsRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** Rows after `after` (id order) whose column is set. */
  page(
    target: SecretColumn,
    after: string,
    limit: number,
  ): Promise<Array<{ id: string; value: unknown }>> {
    return this.dataSource.query(
      `SELECT id, ${target.column} AS value FROM ${target.table}
          WHERE id > $1 AND ${target.column} IS NOT NULL ORDER BY id LIMIT $2`,
      [after, limit],
    );
  }

  /** Rewrites in one transaction; `rewrite` answers whether the row still held `previous`. */
  transaction<T>(
    work: (
      rewrite: (
        target: SecretColumn,
        id: string,
        stored: string,
        previous: string,
      ) => Promise<boolean>,
    ) => Promise<T>,
  ): Promise<T> {
    return this.dataSource.transaction((manager) =>
      work((target, id, stored, previous) => rewrite(manager, target, id, stored, previous)),
    );
  }
}

async function rewrite(
  manager: EntityManager,
  target: SecretColumn,
  id: string,
  stored: string,
  previous: string,
): Promise<boolean> {
  const result: unknown = await manager.query(
    target.shape === 'map'
      ? `UPDATE ${target.table} SET ${target.column} = $2::jsonb WHERE id = $1 AND ${target.column} = $3::jsonb`
      : `UPDATE ${target.table} SET ${target.column} = $2 WHERE id = $1 AND ${target.column} = $3`,
    [id, stored, previous],
  );
  return affected(result) > 0;
}

/** TypeORM answers an UPDATE as `[rows, affected]` with the pg driver. */
function affected(result: unknown): number {
  if (Array.isArray(result) && typeof result[1] === 'number') return result[1];
  return 0;
}
