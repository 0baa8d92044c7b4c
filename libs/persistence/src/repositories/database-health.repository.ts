import type { DataSource } from 'typeorm';

/** Whether Postgres answers: readiness checks and the intake's wait while it is down. */
export class DatabaseHealth {
  constructor(private readonly dataSource: DataSource) {}

  /** The pool is open (main.ts initialised it and shutdown has not destroyed it). */
  get initialized(): boolean {
    return this.dataSource.isInitialized;
  }

  /** Resolves when Postgres answers a trivial statement; rejects otherwise. */
  async ping(): Promise<void> {
    await this.dataSource.query('SELECT 1');
  }
}
