import { IsNull } from 'typeorm';
import { ApiKeyEntity, type ApiKeyRole } from '../entities/api-key.entity';
import { rowsOf } from '../query-rows';
import { BaseRepository, writeValues, type EntityValues } from './base.repository';

/** The admin API's keys, stored as sha256 digests. */
/** An `api_keys` row as Postgres answers it (snake-case columns), for the bootstrap. */
export type ApiKeyRow = Record<string, unknown>;

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

  /**
   * The bootstrap keys' lock, until the transaction ends: admin replicas booting at once
   * take turns (ADMIN_API_KEY and the first-run key), so the last one's key wins and only
   * the first creates a first-run key.
   */
  async lockBootstrap(): Promise<void> {
    await this.manager.query(`SELECT pg_advisory_xact_lock(hashtext('hookgate:bootstrap-key'))`);
  }

  /** Adds a bootstrap admin key of the default tenant unless this digest exists. */
  async insertBootstrapIfAbsent(keyHash: string, prefix: string, name: string): Promise<void> {
    await this.manager.query(
      `INSERT INTO api_keys (tenant_id, name, role, key_hash, key_prefix, bootstrap)
       SELECT id, $3, 'admin', $1, $2, true FROM tenants WHERE name = 'default'
       ON CONFLICT (key_hash) DO NOTHING`,
      [keyHash, prefix, name],
    );
  }

  /** Adds a bootstrap admin key of the default tenant; answers its row. */
  async insertBootstrap(keyHash: string, prefix: string, name: string): Promise<ApiKeyRow> {
    const [created]: ApiKeyRow[] = await this.manager.query(
      `INSERT INTO api_keys (tenant_id, name, role, key_hash, key_prefix, bootstrap)
       SELECT id, $3, 'admin', $1, $2, true FROM tenants WHERE name = 'default'
       RETURNING *`,
      [keyHash, prefix, name],
    );
    return created;
  }

  /** The key with this digest, locked until the transaction ends; undefined if none. */
  async lockByHash(keyHash: string): Promise<ApiKeyRow | undefined> {
    const [row]: ApiKeyRow[] = await this.manager.query(
      `SELECT * FROM api_keys WHERE key_hash = $1 FOR UPDATE`,
      [keyHash],
    );
    return row;
  }

  /** Clears a key's revocation; answers its row. */
  async reinstate(id: unknown): Promise<ApiKeyRow> {
    const [reinstated] = rowsOf<ApiKeyRow>(
      await this.manager.query(
        `UPDATE api_keys SET revoked_at = NULL, revoked_reason = NULL WHERE id = $1 RETURNING *`,
        [id],
      ),
    );
    return reinstated;
  }

  /** Revokes every live bootstrap key but `keepId`, with `reason`; answers their rows. */
  async revokeOtherBootstraps(keepId: unknown, reason: string): Promise<ApiKeyRow[]> {
    return rowsOf<ApiKeyRow>(
      await this.manager.query(
        `UPDATE api_keys SET revoked_at = now(), revoked_reason = $2
          WHERE bootstrap AND revoked_at IS NULL AND id <> $1
          RETURNING *`,
        [keepId, reason],
      ),
    );
  }

  /** Whether the default tenant has a live admin key. */
  async defaultTenantHasLiveAdmin(): Promise<boolean> {
    const live: unknown[] = await this.manager.query(
      `SELECT 1 FROM api_keys k JOIN tenants t ON t.id = k.tenant_id
        WHERE t.name = 'default' AND k.role = 'admin' AND k.revoked_at IS NULL
        LIMIT 1`,
    );
    return live.length > 0;
  }
}
