import type { DataSource, EntityManager } from 'typeorm';
import { rowsOf } from '../query-rows';
import type { Queryable } from './inbound-events.repository';

/**
 * `outbound_endpoints` as the dispatcher writes it: the re-read of a held delivery's
 * endpoint under its hold's lock, and endpoint health (SPEC §11). The endpoint itself is
 * read through OutboundEndpointsRepository, like the admin's.
 */
export class DispatcherEndpointsRepository {
  constructor(private readonly dataSource: DataSource) {}

  /**
   * The endpoint row a held delivery re-reads under `FOR SHARE`, in the hold's
   * transaction: activation updates it before it moves the endpoint's drafts to `queued`
   * (see the dispatcher's `hold`). Null when the endpoint is gone.
   */
  async holdState(
    manager: EntityManager,
    endpointId: string,
  ): Promise<{ state: string; disabled: boolean } | null> {
    const rows: Array<{ state: string; disabled: boolean }> = await manager.query(
      `SELECT state, disabled_at IS NOT NULL AS disabled FROM outbound_endpoints WHERE id = $1 FOR SHARE`,
      [endpointId],
    );
    return rows[0] ?? null;
  }

  /**
   * A success: the failure count and span reset. Guarded so a healthy endpoint's row is
   * not rewritten: the dispatcher sends it without knowing whether the row has failures
   * (another dispatcher may have recorded them), at most once per endpoint every few
   * seconds (EndpointHealth).
   */
  async recordSuccess(endpointId: string): Promise<void> {
    await this.db.query(
      `UPDATE outbound_endpoints SET consecutive_failures = 0, failing_since = NULL
          WHERE id = $1 AND (consecutive_failures <> 0 OR failing_since IS NOT NULL)`,
      [endpointId],
    );
  }

  /** A failed attempt: the count and the span so far (seconds); null when the endpoint is gone. */
  async recordFailure(
    endpointId: string,
  ): Promise<{ consecutiveFailures: number; failingForSeconds: number } | null> {
    const [state] = rowsOf<{ consecutive_failures: number; failing_for: number }>(
      await this.db.query(
        `UPDATE outbound_endpoints
          SET consecutive_failures = consecutive_failures + 1, failing_since = COALESCE(failing_since, now())
        WHERE id = $1
        RETURNING consecutive_failures, EXTRACT(EPOCH FROM now() - failing_since)::float AS failing_for`,
        [endpointId],
      ),
    );
    return state
      ? { consecutiveFailures: state.consecutive_failures, failingForSeconds: state.failing_for }
      : null;
  }

  /** Disables the endpoint with its reason; false when it already was. */
  async disable(endpointId: string, reason: string): Promise<boolean> {
    const changed = rowsOf<{ id: string }>(
      await this.db.query(
        `UPDATE outbound_endpoints SET disabled_at = now(), disabled_reason = $2, updated_at = now()
          WHERE id = $1 AND disabled_at IS NULL RETURNING id`,
        [endpointId, reason],
      ),
    );
    return changed.length > 0;
  }

  /** Active endpoints health has disabled, per tenant name (the metric). */
  countDisabledByTenant(): Promise<Array<{ tenant: string; count: number }>> {
    return this.db.query(
      `SELECT t.name AS tenant, count(*)::int AS count
           FROM outbound_endpoints e JOIN tenants t ON t.id = e.tenant_id
          WHERE e.state = 'active' AND e.disabled_at IS NOT NULL
          GROUP BY t.name`,
    );
  }

  private get db(): Queryable {
    return this.dataSource;
  }
}
