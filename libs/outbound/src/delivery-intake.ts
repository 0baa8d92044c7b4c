import type { DataSource, EntityManager } from 'typeorm';
import { isSubscribed, uuidv7 } from '@app/core';

/**
 * Turns publish requests into delivery rows (SPEC §5 "Publishing"). One implementation
 * for every entry point — the `outbound-requests` queue, the admin API, inbound `forward`
 * rules and callbacks — so they behave the same:
 *
 * - the idempotency key is unique per endpoint: republishing answers the existing row;
 * - an unknown or archived endpoint is not lost: it becomes a `dead_letter` delivery
 *   whose error says why;
 * - a draft endpoint holds its deliveries in `draft` until it is activated;
 * - an active endpoint's deliveries are `queued`, and the caller enqueues their ids
 *   after its transaction commits (`onQueued`).
 */
export interface DeliveryRequest {
  /** Endpoint code. */
  endpoint: string;
  payload: unknown;
  context?: Record<string, string>;
  idempotencyKey?: string;
  eventType?: string | null;
  sourceEventId?: string | null;
  isTest?: boolean;
}

export interface IntakeResult {
  id: string;
  state: string;
  duplicate: boolean;
  endpointCode: string;
}

interface EndpointRow {
  id: string;
  code: string;
  state: 'draft' | 'active' | 'archived';
  event_types: string[];
  disabled_reason: string | null;
}

export class UnknownTenantError extends Error {}

export class DeliveryIntake {
  private readonly tenantIds = new Map<string, string>();

  constructor(private readonly dataSource: DataSource) {}

  /** Resolves a tenant name (job contract) to its id; undefined names the default tenant. */
  async tenantId(
    name: string | undefined,
    manager: EntityManager = this.dataSource.manager,
  ): Promise<string> {
    const key = name ?? 'default';
    const cached = this.tenantIds.get(key);
    if (cached) return cached;
    const rows: Array<{ id: string }> = await manager.query(
      `SELECT id FROM tenants WHERE name = $1`,
      [key],
    );
    if (!rows[0]) throw new UnknownTenantError(`unknown tenant "${key}"`);
    this.tenantIds.set(key, rows[0].id);
    return rows[0].id;
  }

  async deliver(
    tenantId: string,
    request: DeliveryRequest,
    manager: EntityManager = this.dataSource.manager,
  ): Promise<IntakeResult> {
    const rows: EndpointRow[] = await manager.query(
      `SELECT id, code, state, event_types, disabled_reason FROM outbound_endpoints WHERE tenant_id = $1 AND code = $2`,
      [tenantId, request.endpoint],
    );
    return this.insert(manager, tenantId, rows[0] ?? null, request);
  }

  /** Fans out to every active or draft endpoint subscribed to the event type. */
  async publish(
    tenantId: string,
    request: Omit<DeliveryRequest, 'endpoint'> & { eventType: string },
    manager: EntityManager = this.dataSource.manager,
  ): Promise<IntakeResult[]> {
    const endpoints: EndpointRow[] = await manager.query(
      `SELECT id, code, state, event_types, disabled_reason FROM outbound_endpoints
        WHERE tenant_id = $1 AND state <> 'archived' AND cardinality(event_types) > 0
        ORDER BY code`,
      [tenantId],
    );
    const results: IntakeResult[] = [];
    for (const endpoint of endpoints.filter((e) =>
      isSubscribed(e.event_types, request.eventType),
    )) {
      results.push(
        await this.insert(manager, tenantId, endpoint, { ...request, endpoint: endpoint.code }),
      );
    }
    return results;
  }

  private async insert(
    manager: EntityManager,
    tenantId: string,
    endpoint: EndpointRow | null,
    request: DeliveryRequest,
  ): Promise<IntakeResult> {
    let state: string;
    let error: string | null = null;
    if (!endpoint) {
      state = 'dead_letter';
      error = `unknown outbound endpoint "${request.endpoint}"`;
    } else if (endpoint.state === 'archived') {
      state = 'dead_letter';
      error = `outbound endpoint "${endpoint.code}" is archived`;
    } else if (endpoint.state === 'draft') {
      state = 'draft';
    } else {
      state = 'queued';
    }
    const id = uuidv7();
    const inserted: Array<{ id: string; state: string }> = await manager.query(
      `INSERT INTO deliveries (id, tenant_id, endpoint_id, endpoint_code, event_type, state, payload, context,
                               idempotency_key, is_test, source_event_id, last_error, next_attempt_at, completed_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12,
               CASE WHEN $6 = 'queued' THEN now() END, CASE WHEN $6 = 'dead_letter' THEN now() END)
       ON CONFLICT DO NOTHING
       RETURNING id, state`,
      [
        id,
        tenantId,
        endpoint?.id ?? null,
        endpoint?.code ?? request.endpoint,
        request.eventType ?? null,
        state,
        JSON.stringify(request.payload ?? null),
        request.context ?? {},
        request.idempotencyKey ?? null,
        request.isTest ?? false,
        request.sourceEventId ?? null,
        error,
      ],
    );
    if (inserted[0]) {
      return {
        id: inserted[0].id,
        state: inserted[0].state,
        duplicate: false,
        endpointCode: endpoint?.code ?? request.endpoint,
      };
    }
    const existing: Array<{ id: string; state: string }> = await manager.query(
      `SELECT id, state FROM deliveries WHERE endpoint_id = $1 AND idempotency_key = $2`,
      [endpoint?.id ?? null, request.idempotencyKey ?? null],
    );
    if (!existing[0])
      throw new Error('delivery insert conflicted but no existing delivery was found');
    return {
      id: existing[0].id,
      state: existing[0].state,
      duplicate: true,
      endpointCode: endpoint?.code ?? request.endpoint,
    };
  }
}
