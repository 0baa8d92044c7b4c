import { DEFAULT_TENANT_NAME } from '../entities/tenant.entity';
import { BaseRepository } from './base.repository';

/**
 * Retention's statements (SPEC §11): the batched deletes of finished inbound events and
 * deliveries (their attempts go with them, ON DELETE CASCADE) and of refused publish
 * requests (`outbound_request_refusals`), and the session advisory lock one admin
 * replica's pass runs under.
 *
 * Each batch is one `DELETE … LIMIT n` statement, so its own short transaction, and takes
 * rows `FOR UPDATE SKIP LOCKED`, so it never waits on (or makes wait) a row a worker or
 * operator holds. The statements are kept as they were tuned; the pause between batches is
 * the caller's (RetentionJob).
 */
const RETENTION_LOCK = 0x686b_7265; // "hkre"

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

// A refusal is final when written; it goes after its tenant's period, counted from when it
// was refused. Refusals that named no existing tenant (tenant_id null) are the operator's,
// shown to the default tenant only (OutboundRequestRefusalsRepository), so they follow the
// default tenant's period: $4 is true for that tenant only.
const PURGE_REFUSALS_SQL = `
  WITH doomed AS (
    SELECT id FROM outbound_request_refusals
     WHERE (tenant_id = $1 OR ($4::boolean AND tenant_id IS NULL))
       AND created_at < now() - make_interval(days => $2)
     LIMIT $3
     FOR UPDATE SKIP LOCKED)
  DELETE FROM outbound_request_refusals r USING doomed WHERE r.id = doomed.id`;

export interface RetentionTenant {
  id: string;
  retentionDays: number;
  /** The `default` tenant: also owns the refusals that named no existing tenant. */
  isDefault: boolean;
}

export class RetentionRepository extends BaseRepository {
  /**
   * Runs `pass` on one dedicated connection holding the retention advisory lock, with this
   * repository bound to that connection; answers `{ ran: false }` when another replica
   * holds the lock. If the holder dies, Postgres releases the lock with its connection.
   */
  async underLock<T>(
    pass: (session: RetentionRepository) => Promise<T>,
  ): Promise<{ ran: true; value: T } | { ran: false }> {
    const runner = this.manager.connection.createQueryRunner();
    await runner.connect();
    try {
      const [{ locked }] = (await runner.query(`SELECT pg_try_advisory_lock($1) AS locked`, [
        RETENTION_LOCK,
      ])) as Array<{ locked: boolean }>;
      if (!locked) return { ran: false };
      try {
        return { ran: true, value: await pass(new RetentionRepository(runner.manager)) };
      } finally {
        await runner.query(`SELECT pg_advisory_unlock($1)`, [RETENTION_LOCK]);
      }
    } finally {
      await runner.release();
    }
  }

  async tenants(): Promise<RetentionTenant[]> {
    const rows = (await this.manager.query(
      `SELECT id, retention_days, name = $1 AS is_default FROM tenants`,
      [DEFAULT_TENANT_NAME],
    )) as Array<{ id: string; retention_days: number; is_default: boolean }>;
    return rows.map((row) => ({
      id: row.id,
      retentionDays: row.retention_days,
      isDefault: row.is_default,
    }));
  }

  /** Deletes at most `limit` finished inbound events past the period; answers how many. */
  purgeInboundEvents(tenant: RetentionTenant, limit: number): Promise<number> {
    return this.affected(PURGE_EVENTS_SQL, [tenant.id, tenant.retentionDays, limit]);
  }

  /** Deletes at most `limit` finished deliveries past the period; answers how many. */
  purgeDeliveries(tenant: RetentionTenant, limit: number): Promise<number> {
    return this.affected(PURGE_DELIVERIES_SQL, [tenant.id, tenant.retentionDays, limit]);
  }

  /**
   * Deletes at most `limit` refused publish requests of the tenant (and, for the default
   * tenant, those that named no existing tenant) past the period; answers how many.
   */
  purgeRequestRefusals(tenant: RetentionTenant, limit: number): Promise<number> {
    return this.affected(PURGE_REFUSALS_SQL, [
      tenant.id,
      tenant.retentionDays,
      limit,
      tenant.isDefault,
    ]);
  }

  private async affected(sql: string, parameters: unknown[]): Promise<number> {
    const bound = this.manager.queryRunner;
    const runner = bound ?? this.manager.connection.createQueryRunner();
    try {
      const outcome = (await runner.query(sql, parameters, true)) as { affected?: number };
      return outcome.affected ?? 0;
    } finally {
      if (!bound) await runner.release();
    }
  }
}
