import { DEFAULT_TENANT_NAME } from '../entities/tenant.entity';
import type { Queryable } from './inbound-events.repository';

/**
 * What the delivery intake (libs/outbound) reads and writes: the tenant a request names,
 * the outbound endpoints it may go to, the delivery rows it creates, and the refusals of
 * requests that cannot become deliveries (`outbound_request_refusals`; the admin lists
 * them through its own repository). Every method takes the caller's transaction (or the
 * DataSource's manager): an inbound event's deliveries join its settle's transaction.
 */

/** An outbound endpoint as the intake decides a new delivery's state from it. */
export interface IntakeEndpointRow {
  id: string;
  code: string;
  state: 'draft' | 'active' | 'archived';
  event_types: string[];
  disabled_reason: string | null;
  body_mode: 'json' | 'form' | 'multipart' | 'none';
}

/** A delivery row to create, its texts already made storable. */
export interface NewDeliveryRow {
  id: string;
  tenantId: string;
  endpointId: string | null;
  endpointCode: string;
  eventType: string | null;
  state: string;
  /** JSON text. */
  payload: string;
  context: unknown;
  idempotencyKey: string | null;
  isTest: boolean;
  sourceEventId: string | null;
  lastError: string | null;
  /** A deliver request's file parts (`delivery_files`), written in the same statement. */
  files?: NewDeliveryFile[];
}

/** One file part, its texts already made storable and its content decoded. */
export interface NewDeliveryFile {
  field: string;
  filename: string;
  contentType: string;
  content: Buffer;
}

/** A refused publish request, its texts already cut and made storable. */
export interface RefusalRow {
  jobKey: string;
  jobName: string;
  tenant: string | null;
  reason: string;
  data: string;
  dataBytes: number;
}

export class DeliveryIntakeRepository {
  /** The tenant's id by name; null when no tenant has it. */
  async tenantIdByName(manager: Queryable, name: string): Promise<string | null> {
    const rows: Array<{ id: string }> = await manager.query(
      `SELECT id FROM tenants WHERE name = $1`,
      [name],
    );
    return rows[0]?.id ?? null;
  }

  async endpointByCode(
    manager: Queryable,
    tenantId: string,
    code: string,
  ): Promise<IntakeEndpointRow | null> {
    const rows: IntakeEndpointRow[] = await manager.query(
      `SELECT id, code, state, event_types, disabled_reason, body_mode FROM outbound_endpoints WHERE tenant_id = $1 AND code = $2`,
      [tenantId, code],
    );
    return rows[0] ?? null;
  }

  /**
   * The endpoints of several `(tenant, code)` pairs in one statement (a batch of deliver
   * requests, see DeliveryIntake); a pair without an endpoint has no row.
   */
  endpointsByCodes(
    manager: Queryable,
    pairs: Array<{ tenantId: string; code: string }>,
  ): Promise<Array<IntakeEndpointRow & { tenant_id: string }>> {
    // Each pair once: (tenant_id, code) is unique, so the join then yields no repeats.
    const unique = [...new Map(pairs.map((p) => [`${p.tenantId}\u0000${p.code}`, p])).values()];
    return manager.query(
      `SELECT e.id, e.tenant_id, e.code, e.state, e.event_types, e.disabled_reason, e.body_mode
         FROM outbound_endpoints e
         JOIN unnest($1::uuid[], $2::text[]) AS r(tenant_id, code)
           ON e.tenant_id = r.tenant_id AND e.code = r.code`,
      [unique.map((p) => p.tenantId), unique.map((p) => p.code)],
    );
  }

  /** The connector's endpoint with the suffix; the connector by id (`byId`) or by code. */
  async endpointByConnector(
    manager: Queryable,
    tenantId: string,
    connector: string,
    suffix: string,
    byId: boolean,
  ): Promise<IntakeEndpointRow | null> {
    const rows: IntakeEndpointRow[] = await manager.query(
      `SELECT e.id, e.code, e.state, e.event_types, e.disabled_reason, e.body_mode
         FROM outbound_endpoints e JOIN connectors c ON c.id = e.connector_id
        WHERE c.tenant_id = $1 AND ${byId ? 'c.id = $2::uuid' : 'c.code = $2'} AND e.code_suffix = $3`,
      [tenantId, connector, suffix],
    );
    return rows[0] ?? null;
  }

  /** The tenant's live endpoints with at least one event type, by code (publish filters them). */
  subscribableEndpoints(manager: Queryable, tenantId: string): Promise<IntakeEndpointRow[]> {
    return manager.query(
      `SELECT id, code, state, event_types, disabled_reason, body_mode FROM outbound_endpoints
        WHERE tenant_id = $1 AND state <> 'archived' AND cardinality(event_types) > 0
        ORDER BY code`,
      [tenantId],
    );
  }

  /**
   * Inserts the delivery; null when its idempotency key is taken on the endpoint (the
   * unique index), in which case {@link findByIdempotencyKey} answers the existing row.
   */
  async insertDelivery(
    manager: Queryable,
    row: NewDeliveryRow,
  ): Promise<{ id: string; state: string } | null> {
    const files = row.files ?? [];
    // With files: one statement writes both (a data-modifying CTE), so a delivery never
    // exists without its files, whatever transaction the caller is (or is not) in.
    const insert = `INSERT INTO deliveries (id, tenant_id, endpoint_id, endpoint_code, event_type, state, payload, context,
                               idempotency_key, is_test, source_event_id, last_error, next_attempt_at, completed_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12,
               CASE WHEN $6 = 'queued' THEN now() END, CASE WHEN $6 = 'dead_letter' THEN now() END)
       ON CONFLICT DO NOTHING
       RETURNING id, state`;
    const sql =
      files.length === 0
        ? insert
        : `WITH d AS (${insert}),
                f AS (INSERT INTO delivery_files (delivery_id, position, field, filename, content_type, content)
                      SELECT d.id, f.position, f.field, f.filename, f.content_type, f.content
                        FROM d, unnest($13::int[], $14::text[], $15::text[], $16::text[], $17::bytea[])
                             AS f(position, field, filename, content_type, content))
           SELECT id, state FROM d`;
    const inserted: Array<{ id: string; state: string }> = await manager.query(sql, [
      row.id,
      row.tenantId,
      row.endpointId,
      row.endpointCode,
      row.eventType,
      row.state,
      row.payload,
      row.context,
      row.idempotencyKey,
      row.isTest,
      row.sourceEventId,
      row.lastError,
      ...(files.length === 0
        ? []
        : [
            files.map((_, i) => i),
            files.map((f) => f.field),
            files.map((f) => f.filename),
            files.map((f) => f.contentType),
            files.map((f) => f.content),
          ]),
    ]);
    return inserted[0] ?? null;
  }

  /**
   * Inserts several deliveries in one statement (one commit when autocommitted), in order;
   * answers the rows inserted. A row whose idempotency key is taken on its endpoint (also
   * by an earlier row of the same call) is skipped, as {@link insertDelivery} answers null.
   */
  async insertDeliveries(
    manager: Queryable,
    rows: NewDeliveryRow[],
  ): Promise<Array<{ id: string; state: string }>> {
    if (rows.length === 0) return [];
    const column = <T>(pick: (row: NewDeliveryRow) => T): T[] => rows.map(pick);
    return manager.query(
      `INSERT INTO deliveries (id, tenant_id, endpoint_id, endpoint_code, event_type, state, payload, context,
                               idempotency_key, is_test, source_event_id, last_error, next_attempt_at, completed_at)
       SELECT id, tenant_id, endpoint_id, endpoint_code, event_type, state, payload::jsonb, context::jsonb,
              idempotency_key, is_test, source_event_id, last_error,
              CASE WHEN state = 'queued' THEN now() END, CASE WHEN state = 'dead_letter' THEN now() END
         FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::text[], $5::text[], $6::text[], $7::text[],
                     $8::text[], $9::text[], $10::boolean[], $11::uuid[], $12::text[])
              AS r(id, tenant_id, endpoint_id, endpoint_code, event_type, state, payload, context,
                   idempotency_key, is_test, source_event_id, last_error)
       ON CONFLICT DO NOTHING
       RETURNING id, state`,
      [
        column((r) => r.id),
        column((r) => r.tenantId),
        column((r) => r.endpointId),
        column((r) => r.endpointCode),
        column((r) => r.eventType),
        column((r) => r.state),
        column((r) => r.payload),
        column((r) => JSON.stringify(r.context)),
        column((r) => r.idempotencyKey),
        column((r) => r.isTest),
        column((r) => r.sourceEventId),
        column((r) => r.lastError),
      ],
    );
  }

  /**
   * The existing rows of several (endpoint, idempotency key) pairs in one statement, keyed
   * by {@link idempotencyPair}: the rows a batch insert skipped for their taken keys.
   */
  async findByIdempotencyKeys(
    manager: Queryable,
    pairs: Array<{ endpointId: string | null; idempotencyKey: string | null }>,
  ): Promise<Map<string, { id: string; state: string }>> {
    const found = new Map<string, { id: string; state: string }>();
    if (pairs.length === 0) return found;
    const rows: Array<{ id: string; state: string; endpoint_id: string; idempotency_key: string }> =
      await manager.query(
        `SELECT d.id, d.state, d.endpoint_id, d.idempotency_key
           FROM unnest($1::uuid[], $2::text[]) AS k(endpoint_id, idempotency_key)
           JOIN deliveries d ON d.endpoint_id = k.endpoint_id AND d.idempotency_key = k.idempotency_key`,
        [pairs.map((p) => p.endpointId), pairs.map((p) => p.idempotencyKey)],
      );
    for (const row of rows) {
      found.set(idempotencyPair(row.endpoint_id, row.idempotency_key), {
        id: row.id,
        state: row.state,
      });
    }
    return found;
  }

  async findByIdempotencyKey(
    manager: Queryable,
    endpointId: string | null,
    idempotencyKey: string | null,
  ): Promise<{ id: string; state: string } | null> {
    const existing: Array<{ id: string; state: string }> = await manager.query(
      `SELECT id, state FROM deliveries WHERE endpoint_id = $1 AND idempotency_key = $2`,
      [endpointId, idempotencyKey],
    );
    return existing[0] ?? null;
  }

  /**
   * Records a refusal once per job (`ON CONFLICT (job_key) DO NOTHING`). The row belongs
   * to the tenant the job named (none named: `default`) if that tenant exists now, looked
   * up in the same statement; otherwise `tenant_id` stays null.
   */
  async recordRefusal(manager: Queryable, row: RefusalRow): Promise<void> {
    await manager.query(
      `INSERT INTO outbound_request_refusals
              (job_key, job_name, tenant, reason, data, data_bytes, tenant_id)
       VALUES ($1, $2, $3, $4, $5, $6,
               (SELECT id FROM tenants WHERE name = COALESCE($3, '${DEFAULT_TENANT_NAME}')))
       ON CONFLICT (job_key) DO NOTHING`,
      [row.jobKey, row.jobName, row.tenant, row.reason, row.data, row.dataBytes],
    );
  }
}

/** The key of an (endpoint, idempotency key) pair in {@link DeliveryIntakeRepository.findByIdempotencyKeys}'s map. */
export function idempotencyPair(endpointId: string | null, idempotencyKey: string | null): string {
  return `${endpointId ?? ''}\u0000${idempotencyKey ?? ''}`;
}
