import { DEFAULT_TENANT_NAME } from '../entities/tenant.entity';
import { BaseRepository } from './base.repository';
import { keysetAfter, type KeysetPosition } from './keyset';

/**
 * Publish requests the dispatcher's intake refused (`outbound_request_refusals`), as
 * operators list and inspect them; the intake writes them (DeliveryIntakeRepository
 * .recordRefusal).
 *
 * Tenancy: a refusal belongs to the tenant its job named when that tenant existed
 * (`tenant_id`). One that named no existing tenant is the operator's, shown to the
 * `default` tenant only, never to the tenant whose name a producer may have mistyped.
 */
export interface OutboundRequestRefusalRow {
  id: string;
  job_name: string;
  tenant: string | null;
  /** `<reason>: <message>` (RequestRefusals.record). */
  reason: string;
  data: string;
  data_bytes: number | string;
  created_at: Date;
  data_truncated: boolean;
  /** created_at with Postgres' microseconds, ISO text: the keyset position's time. */
  position_at: string;
}

export interface OutboundRequestRefusalFilter {
  /** The reason code, the part of `reason` before the colon. */
  reason?: string;
  /** Inclusive, a timestamp (null: matches nothing). */
  from?: string | null;
  /** Exclusive, a timestamp (null: matches nothing). */
  to?: string | null;
}

/** Rows the caller's tenant ($1) may see; `tenant_id` null is the default tenant's. */
const VISIBLE_TO_TENANT = `(r.tenant_id = $1 OR (r.tenant_id IS NULL AND EXISTS (
   SELECT 1 FROM tenants t WHERE t.id = $1 AND t.name = '${DEFAULT_TENANT_NAME}')))`;

// Refusals of one burst share milliseconds: the position keeps Postgres' microseconds.
const COLUMNS = `r.id, r.job_name, r.tenant, r.reason, r.data, r.data_bytes, r.created_at,
   octet_length(r.data) < r.data_bytes AS data_truncated, to_char(r.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS position_at`;

export class OutboundRequestRefusalsRepository extends BaseRepository {
  /** A page of the refusals the tenant may see, newest first (`limit + 1` rows). */
  list(
    tenantId: string,
    filter: OutboundRequestRefusalFilter,
    page: { after: KeysetPosition | null; limit: number },
  ): Promise<OutboundRequestRefusalRow[]> {
    const where = [VISIBLE_TO_TENANT];
    const params: unknown[] = [tenantId];
    const add = (sql: (n: number) => string, value: unknown) => {
      params.push(value);
      where.push(sql(params.length));
    };
    if (filter.reason) add((n) => `split_part(r.reason, ':', 1) = $${n}`, filter.reason);
    if (filter.from !== undefined) add((n) => `r.created_at >= $${n}`, filter.from);
    if (filter.to !== undefined) add((n) => `r.created_at < $${n}`, filter.to);
    const after = keysetAfter(page.after, params, { time: 'r.created_at', id: 'r.id' });
    if (after) where.push(after);
    params.push(page.limit + 1);
    return this.manager.query<OutboundRequestRefusalRow[]>(
      `SELECT ${COLUMNS} FROM outbound_request_refusals r
        WHERE ${where.join(' AND ')}
        ORDER BY r.created_at DESC, r.id DESC
        LIMIT $${params.length}`,
      params,
    );
  }

  /** One refusal the tenant may see, or null. */
  async findVisible(tenantId: string, id: string): Promise<OutboundRequestRefusalRow | null> {
    const rows = await this.manager.query<OutboundRequestRefusalRow[]>(
      `SELECT ${COLUMNS} FROM outbound_request_refusals r
        WHERE ${VISIBLE_TO_TENANT} AND r.id = $2`,
      [tenantId, id],
    );
    return rows[0] ?? null;
  }
}
