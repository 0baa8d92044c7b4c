import { Injectable, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { outboundEndpointsDisabled, readDisabledEndpointsWith } from '@app/platform';
import { rowsOf } from '@app/persistence';
import type { EndpointHealthRecorder } from './send-delivery.ports';
import type { OutboundEndpointRuntime } from './outbound-endpoint-cache';

/**
 * Endpoint health (SPEC §11): an endpoint that answers `410 Gone`, or fails every attempt
 * for its configured span (default 5 days) or count, is disabled with the reason
 * recorded; its deliveries are then held until an operator re-enables it. Successes only
 * touch the row when it had failures, so the hot path does no writes for healthy ones.
 */
export class EndpointHealth implements EndpointHealthRecorder {
  private readonly failing = new Set<string>();

  constructor(
    private readonly dataSource: DataSource,
    private readonly onDisabled: (endpointId: string, reason: string) => void,
  ) {}

  async record(
    endpoint: OutboundEndpointRuntime,
    result: { ok: boolean; status?: number },
  ): Promise<void> {
    if (result.ok) {
      if (!this.failing.has(endpoint.id)) return;
      this.failing.delete(endpoint.id);
      await this.dataSource.query(
        `UPDATE outbound_endpoints SET consecutive_failures = 0, failing_since = NULL
          WHERE id = $1 AND (consecutive_failures <> 0 OR failing_since IS NOT NULL)`,
        [endpoint.id],
      );
      return;
    }
    this.failing.add(endpoint.id);
    const [state] = rowsOf<{ consecutive_failures: number; failing_for: number }>(
      await this.dataSource.query(
        `UPDATE outbound_endpoints
          SET consecutive_failures = consecutive_failures + 1, failing_since = COALESCE(failing_since, now())
        WHERE id = $1
        RETURNING consecutive_failures, EXTRACT(EPOCH FROM now() - failing_since)::float AS failing_for`,
        [endpoint.id],
      ),
    );
    if (!state) return;
    let reason: string | null = null;
    let kind: 'gone' | 'failures' | 'duration' = 'gone';
    if (result.status === 410) reason = 'the endpoint answered 410 Gone';
    else if (
      endpoint.health.disableAfterFailures &&
      state.consecutive_failures >= endpoint.health.disableAfterFailures
    ) {
      reason = `${state.consecutive_failures} consecutive failed attempts`;
      kind = 'failures';
    } else if (state.failing_for >= endpoint.health.disableAfterSeconds) {
      reason = `every attempt failed for ${Math.round(state.failing_for / 3600)} h`;
      kind = 'duration';
    }
    if (!reason) return;
    const changed = rowsOf<{ id: string }>(
      await this.dataSource.query(
        `UPDATE outbound_endpoints SET disabled_at = now(), disabled_reason = $2, updated_at = now()
          WHERE id = $1 AND disabled_at IS NULL RETURNING id`,
        [endpoint.id, reason],
      ),
    );
    if (changed.length > 0) {
      outboundEndpointsDisabled.inc({ reason: kind });
      this.onDisabled(endpoint.id, reason);
    }
  }
}

/** Publishes how many active endpoints health has disabled, per tenant, at scrape time. */
@Injectable()
export class DisabledEndpointsMetric implements OnApplicationBootstrap, OnApplicationShutdown {
  constructor(private readonly dataSource: DataSource) {}

  onApplicationBootstrap(): void {
    readDisabledEndpointsWith(async () => {
      const rows: Array<{ tenant: string; count: number }> = await this.dataSource.query(
        `SELECT t.name AS tenant, count(*)::int AS count
           FROM outbound_endpoints e JOIN tenants t ON t.id = e.tenant_id
          WHERE e.state = 'active' AND e.disabled_at IS NOT NULL
          GROUP BY t.name`,
      );
      return rows;
    });
  }

  onApplicationShutdown(): void {
    readDisabledEndpointsWith(null);
  }
}
