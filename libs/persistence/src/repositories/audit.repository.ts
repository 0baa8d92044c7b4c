import { AuditEntryEntity } from '../entities/audit-entry.entity';
import { BaseRepository, writeValues, type EntityValues } from './base.repository';
import type { KeysetPosition } from './keyset';

/** The audit log (SPEC §8): written in the transaction of the change it describes. */
export interface AuditFilter {
  entityType?: string;
  entityId?: string;
  action?: string;
  /** Inclusive, an ISO time. */
  from?: string;
  /** Exclusive, an ISO time. */
  to?: string;
}

export class AuditRepository extends BaseRepository {
  private get entries() {
    return this.manager.getRepository(AuditEntryEntity);
  }

  async insert(entry: EntityValues<AuditEntryEntity>): Promise<void> {
    await this.entries.insert(writeValues(entry));
  }

  /** A page of a tenant's entries, newest first (`limit + 1` rows: the caller pages). */
  list(
    tenantId: string,
    filter: AuditFilter,
    page: { after: KeysetPosition | null; limit: number },
  ): Promise<AuditEntryEntity[]> {
    const query = this.entries
      .createQueryBuilder('a')
      .where('a.tenant_id = :tenantId', { tenantId });
    if (filter.entityType) query.andWhere('a.entity_type = :entityType', filter);
    if (filter.entityId) query.andWhere('a.entity_id = :entityId', filter);
    if (filter.action) query.andWhere('a.action = :action', filter);
    if (filter.from) query.andWhere('a.created_at >= :from', filter);
    if (filter.to) query.andWhere('a.created_at < :to', filter);
    if (page.after) {
      // Keyset: rows strictly after the position, in (created_at, id) order, newest first.
      query.andWhere('(a.created_at, a.id) < (CAST(:at AS timestamptz), CAST(:id AS uuid))', {
        at: page.after.at,
        id: page.after.id,
      });
    }
    return query
      .orderBy('a.created_at', 'DESC')
      .addOrderBy('a.id', 'DESC')
      .limit(page.limit + 1)
      .getMany();
  }
}
