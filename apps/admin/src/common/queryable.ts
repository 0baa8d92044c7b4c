import type { EntityManager } from 'typeorm';

/** The DataSource or a transaction's EntityManager: reads that may run inside a change. */
export type Queryable = Pick<EntityManager, 'query'>;
