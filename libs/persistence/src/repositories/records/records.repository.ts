import { RecordEntity } from '../../entities/record.entity';
import { BaseRepository } from '../base.repository';
import type { KeysetPosition } from '../keyset';

/**
 * The records store's admin reads (SPEC §6): a model's records filtered by JSON
 * containment, newest first, and one record. The writes and lookups the workers run are
 * PostgresRecordStore (core's RecordStore port), beside this file.
 */
export class RecordsRepository extends BaseRepository {
  private get records() {
    return this.manager.getRepository(RecordEntity);
  }

  /**
   * A page of a model's records (`limit + 1` rows: the caller pages). `containing`: the
   * record matches if its data contains any of these documents — one per typing variant
   * of the filter values (`42` may be stored as a number or a string), OR-ed so Postgres
   * combines GIN index scans (`data @> …`).
   */
  list(
    tenantId: string,
    model: string,
    options: { containing: object[]; after: KeysetPosition | null; limit: number },
  ): Promise<RecordEntity[]> {
    const query = this.records
      .createQueryBuilder('r')
      .where('r.tenant_id = :tenantId AND r.model = :model', { tenantId, model });
    if (options.containing.length > 0) {
      const params: Record<string, string> = {};
      const ors = options.containing.map((doc, index) => {
        params[`doc${index}`] = JSON.stringify(doc);
        return `r.data @> CAST(:doc${index} AS jsonb)`;
      });
      query.andWhere(`(${ors.join(' OR ')})`, params);
    }
    if (options.after) {
      // Keyset: rows strictly after the position, in (created_at, id) order, newest first.
      query.andWhere('(r.created_at, r.id) < (CAST(:at AS timestamptz), CAST(:id AS uuid))', {
        at: options.after.at,
        id: options.after.id,
      });
    }
    return query
      .orderBy('r.created_at', 'DESC')
      .addOrderBy('r.id', 'DESC')
      .limit(options.limit + 1)
      .getMany();
  }

  findOne(tenantId: string, model: string, id: string): Promise<RecordEntity | null> {
    return this.records.findOneBy({ id, tenantId, model });
  }

  /**
   * The distinct models holding the tenant's records (at most `max`), by a skip scan of
   * records_tenant_model_idx: one probe per model, however many records each holds. Kept
   * as written (a recursive CTE): a plain DISTINCT would read every record.
   */
  async storedModels(tenantId: string, max: number): Promise<string[]> {
    const stored: Array<{ model: string }> = await this.manager.query(
      `WITH RECURSIVE models (model, n) AS (
         (SELECT model, 1 FROM records WHERE tenant_id = $1 ORDER BY model LIMIT 1)
         UNION ALL
         SELECT (SELECT r.model FROM records r WHERE r.tenant_id = $1 AND r.model > m.model
                  ORDER BY r.model LIMIT 1), m.n + 1
           FROM models m WHERE m.model IS NOT NULL AND m.n < $2)
       SELECT model FROM models WHERE model IS NOT NULL`,
      [tenantId, max],
    );
    return stored.map((row) => row.model);
  }

  /** The models the tenant's rules write (`targetModel`), one row per rule, with its handler. */
  writtenModels(
    tenantId: string,
  ): Promise<Array<{ model: string; code: string; assignments: unknown; lookups: unknown }>> {
    return this.manager.query(
      `SELECT r.target_model AS model, h.code, r.assignments, r.lookups
           FROM handler_rules r JOIN handlers h ON h.id = r.handler_id
          WHERE h.tenant_id = $1 AND r.target_model IS NOT NULL AND r.target_model <> ''`,
      [tenantId],
    );
  }
}
