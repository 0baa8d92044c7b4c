import { DataSource, EntityManager, type QueryDeepPartialEntity } from 'typeorm';

/**
 * What every repository is: the SQL of one table or aggregate, run on the pool (built
 * with a DataSource) or inside a transaction. `in(manager)` answers the same repository
 * bound to a transaction's EntityManager, so a service composes several repositories in
 * one change; `in(null)` is the repository itself.
 *
 *   await dataSource.transaction(async (manager) => {
 *     const endpoint = await this.endpoints.in(manager).findOwned(tenantId, id, { lock: true });
 *     …
 *   });
 */
export abstract class BaseRepository {
  protected readonly manager: EntityManager;

  constructor(db: DataSource | EntityManager) {
    this.manager = db instanceof DataSource ? db.manager : db;
  }

  in(manager: EntityManager | null | undefined): this {
    if (!manager || manager === this.manager) return this;
    const Repository = this.constructor as new (db: EntityManager) => this;
    return new Repository(manager);
  }
}

/** The columns a write sets: an entity's own fields, without the generated ones. */
export type EntityValues<E> = Partial<Omit<E, 'id' | 'createdAt' | 'updatedAt'>>;

/**
 * TypeORM types write values as a deep partial of the entity, which cannot express
 * `unknown` (a literal value in a rule or a condition); the values are the entity's own
 * field types, so this widening is the only cast a write needs.
 */
export function writeValues<E>(values: EntityValues<E>): QueryDeepPartialEntity<E> {
  return values as QueryDeepPartialEntity<E>;
}
