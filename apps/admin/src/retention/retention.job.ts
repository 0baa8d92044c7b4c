import {
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
  OnApplicationShutdown,
} from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import { DataSource, type QueryRunner } from 'typeorm';
import { APP_CONFIG, PeriodicTask } from '@app/platform';
import type { AdminConfig } from '../config';

/**
 * Retention (SPEC §11): every RETENTION_INTERVAL_SECONDS, deletes `done` and `rejected`
 * inbound events and `done` deliveries (their attempts go with them, ON DELETE CASCADE)
 * older than their tenant's `retention_days`. `error` and `dead_letter` items wait for an
 * operator; anything not final is never touched.
 *
 * It runs in the admin app: the app that owns operations, off the webhook hot path (the
 * gateway's CPU and pool stay with traffic), and one place for both directions.
 *
 * Never stalls traffic: each batch is one `DELETE … LIMIT RETENTION_BATCH_SIZE` statement,
 * so its own short transaction, and it takes rows `FOR UPDATE SKIP LOCKED`, so it never
 * waits on (or makes wait) a row a worker or operator holds. Safe with several admin
 * replicas: a pass runs under a session advisory lock that the others try and skip; if
 * that replica dies, Postgres releases the lock with its connection.
 */
const RETENTION_LOCK = 0x686b_7265; // "hkre"

export interface RetentionResult {
  inboundEvents: number;
  deliveries: number;
  /** False when another replica held the lock and this pass did nothing. */
  ran: boolean;
}

// An event's or delivery's age counts from when it was created and from when it finished:
// a delivery created long ago that succeeded yesterday is kept for the full period.
const PURGE_EVENTS_SQL = `
  WITH doomed AS (
    SELECT id FROM inbound_events
     WHERE tenant_id = $1 AND state IN ('done', 'rejected')
       AND received_at < now() - make_interval(days => $2)
       AND COALESCE(processed_at, received_at) < now() - make_interval(days => $2)
     LIMIT $3
     FOR UPDATE SKIP LOCKED)
  DELETE FROM inbound_events e USING doomed WHERE e.id = doomed.id`;

const PURGE_DELIVERIES_SQL = `
  WITH doomed AS (
    SELECT id FROM deliveries
     WHERE tenant_id = $1 AND state = 'done'
       AND created_at < now() - make_interval(days => $2)
       AND COALESCE(completed_at, updated_at) < now() - make_interval(days => $2)
     LIMIT $3
     FOR UPDATE SKIP LOCKED)
  DELETE FROM deliveries d USING doomed WHERE d.id = doomed.id`;

@Injectable()
export class RetentionJob implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(RetentionJob.name);
  private readonly periodic: PeriodicTask;
  private stopping = false;

  constructor(
    private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) private readonly config: AdminConfig,
  ) {
    this.periodic = new PeriodicTask(
      config.RETENTION_INTERVAL_SECONDS * 1000,
      () => this.purge(),
      (error) => this.logger.warn(`retention pass failed: ${String(error)}`),
    );
  }

  onApplicationBootstrap(): void {
    this.periodic.start();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopping = true;
    await this.periodic.stop();
  }

  /** One pass over every tenant; returns what it deleted (tests call it directly). */
  async purge(): Promise<RetentionResult> {
    const runner = this.dataSource.createQueryRunner();
    await runner.connect();
    try {
      const [{ locked }] = (await runner.query(`SELECT pg_try_advisory_lock($1) AS locked`, [
        RETENTION_LOCK,
      ])) as Array<{ locked: boolean }>;
      if (!locked) return { inboundEvents: 0, deliveries: 0, ran: false };
      try {
        const result = await this.purgeTenants(runner);
        if (result.inboundEvents + result.deliveries > 0) {
          this.logger.log(
            `retention deleted ${result.inboundEvents} inbound event(s) and ${result.deliveries} delivery(ies)`,
          );
        }
        return result;
      } finally {
        await runner.query(`SELECT pg_advisory_unlock($1)`, [RETENTION_LOCK]);
      }
    } finally {
      await runner.release();
    }
  }

  private async purgeTenants(runner: QueryRunner): Promise<RetentionResult> {
    const tenants = (await runner.query(`SELECT id, retention_days FROM tenants`)) as Array<{
      id: string;
      retention_days: number;
    }>;
    const result: RetentionResult = { inboundEvents: 0, deliveries: 0, ran: true };
    for (const tenant of tenants) {
      result.inboundEvents += await this.inBatches(runner, PURGE_EVENTS_SQL, tenant);
      result.deliveries += await this.inBatches(runner, PURGE_DELIVERIES_SQL, tenant);
    }
    return result;
  }

  private async inBatches(
    runner: QueryRunner,
    sql: string,
    tenant: { id: string; retention_days: number },
  ): Promise<number> {
    const batch = this.config.RETENTION_BATCH_SIZE;
    let deleted = 0;
    while (!this.stopping) {
      const outcome = (await runner.query(
        sql,
        [tenant.id, tenant.retention_days, batch],
        true,
      )) as { affected?: number };
      const count = outcome.affected ?? 0;
      deleted += count;
      if (count < batch) break;
      await sleep(this.config.RETENTION_BATCH_PAUSE_MS);
    }
    return deleted;
  }
}
