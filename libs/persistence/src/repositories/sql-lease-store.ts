import type { DataSource, EntityManager } from 'typeorm';
import { rowsOf } from '../query-rows';

/**
 * The lease reconciler's four statements for one table of leased work (inbound events,
 * deliveries). The texts live with the direction that owns the table; this runs them and
 * shapes the answers as messaging's LeaseStore port expects.
 */
export interface LeaseStatements {
  /** Returns rows whose lease expired to their due state; `RETURNING id, attempts`. */
  releaseExpired: string;
  /** One row, `due`: how many rows are due now. */
  countDue: string;
  /** `$1` the id to start after, `$2` the limit; `id, attempts` in id order. */
  dueAfter: string;
  /** `$1` overdue seconds, `$2` the limit, `$3` lost seconds; `id, attempts, lost`. */
  overdue: string;
}

interface LeasedRow {
  id: string;
  attempts: number;
}

export class SqlLeaseStore {
  constructor(
    private readonly db: Pick<DataSource | EntityManager, 'query'>,
    private readonly sql: LeaseStatements,
  ) {}

  async releaseExpiredLeases(): Promise<LeasedRow[]> {
    return rowsOf<LeasedRow>(await this.db.query(this.sql.releaseExpired));
  }

  async countDue(): Promise<number> {
    const [{ due }] = (await this.db.query(this.sql.countDue)) as Array<{ due: number }>;
    return due;
  }

  dueAfter(after: string, limit: number): Promise<LeasedRow[]> {
    return this.db.query(this.sql.dueAfter, [after, limit]);
  }

  overdue(
    overdueSeconds: number,
    lostSeconds: number,
    limit: number,
  ): Promise<Array<LeasedRow & { lost: boolean }>> {
    return this.db.query(this.sql.overdue, [overdueSeconds, limit, lostSeconds]);
  }
}
