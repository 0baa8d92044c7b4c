import { TenantEntity } from '../entities/tenant.entity';
import { BaseRepository, writeValues, type EntityValues } from './base.repository';

/** Tenants: every other row belongs to one; `default` always exists. */
export class TenantsRepository extends BaseRepository {
  private get tenants() {
    return this.manager.getRepository(TenantEntity);
  }

  list(): Promise<TenantEntity[]> {
    return this.tenants.find({ order: { name: 'ASC' } });
  }

  /** The tenant, locked until the transaction ends with `lock`; or null. */
  findById(id: string, options: { lock?: boolean } = {}): Promise<TenantEntity | null> {
    return this.tenants.findOne({
      where: { id },
      ...(options.lock ? { lock: { mode: 'pessimistic_write' as const } } : {}),
    });
  }

  /** Whether the tenant exists and has this name (the queue UI's default-tenant check). */
  isNamed(id: string, name: string): Promise<boolean> {
    return this.tenants.existsBy({ id, name });
  }

  async insert(values: EntityValues<TenantEntity>): Promise<TenantEntity> {
    const result = await this.tenants.insert(writeValues(values));
    return this.tenants.findOneByOrFail({ id: String(result.identifiers[0].id) });
  }

  async update(id: string, values: EntityValues<TenantEntity>): Promise<TenantEntity> {
    await this.tenants.update({ id }, writeValues(values));
    return this.tenants.findOneByOrFail({ id });
  }
}
