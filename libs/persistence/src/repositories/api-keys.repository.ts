import { IsNull } from 'typeorm';
import { ApiKeyEntity, type ApiKeyRole } from '../entities/api-key.entity';
import { rowsOf } from '../query-rows';
import { BaseRepository, writeValues, type EntityValues } from './base.repository';

/** The admin API's keys, stored as sha256 digests. */
export type LiveApiKey = Pick<ApiKeyEntity, 'id' | 'tenantId' | 'role' | 'name'>;

export class ApiKeysRepository extends BaseRepository {
  private get keys() {
    return this.manager.getRepository(ApiKeyEntity);
  }

  /**
   * The live (not revoked) key with this digest, its use recorded; null for an unknown or
   * revoked one. Every admin request runs it: one statement finds and touches the key.
   */
  async touchLive(keyHash: string): Promise<LiveApiKey | null> {
    const [row] = rowsOf<{ id: string; tenant_id: string; role: ApiKeyRole; name: string }>(
      await this.manager.query(
        `UPDATE api_keys SET last_used_at = now()
          WHERE key_hash = $1 AND revoked_at IS NULL
          RETURNING id, tenant_id, role, name`,
        [keyHash],
      ),
    );
    return row ? { id: row.id, tenantId: row.tenant_id, role: row.role, name: row.name } : null;
  }

  /** A tenant's keys, newest first. */
  listByTenant(tenantId: string): Promise<ApiKeyEntity[]> {
    return this.keys.find({ where: { tenantId }, order: { createdAt: 'DESC', id: 'DESC' } });
  }

  async insert(values: EntityValues<ApiKeyEntity>): Promise<ApiKeyEntity> {
    const result = await this.keys.insert(writeValues(values));
    return this.keys.findOneByOrFail({ id: String(result.identifiers[0].id) });
  }

  /**
   * Locks the tenant's active admin keys until the transaction ends (in id order: two
   * lockers cannot deadlock) and answers their ids.
   */
  async lockActiveAdmins(tenantId: string): Promise<string[]> {
    const rows = await this.keys.find({
      select: { id: true },
      where: { tenantId, role: 'admin', revokedAt: IsNull() },
      order: { id: 'ASC' },
      lock: { mode: 'pessimistic_write' },
    });
    return rows.map((row) => row.id);
  }

  /** The key of this tenant, locked until the transaction ends; or null. */
  lockOwned(tenantId: string, id: string): Promise<ApiKeyEntity | null> {
    return this.keys.findOne({ where: { id, tenantId }, lock: { mode: 'pessimistic_write' } });
  }

  async revoke(tenantId: string, id: string): Promise<ApiKeyEntity> {
    await this.keys.update({ id, tenantId }, { revokedAt: () => 'now()' });
    return this.keys.findOneByOrFail({ id, tenantId });
  }
}
