import { Injectable, NotFoundException } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { REFUSAL_REASONS, type RefusalReason } from '@app/outbound';
import { DEFAULT_TENANT_NAME } from '@app/persistence';
import { requireUuid } from '../common/ids';
import { afterCursor, positionAtSql, toPage, type Page } from '../common/pagination';
import { toTimestamp } from '../common/validation';
import type { ListOutboundRequestRefusalsQuery } from './outbound-request-refusal.dto';

/**
 * Publish requests the dispatcher's intake refused (`outbound_request_refusals`, written by
 * `RequestRefusals` in `@app/outbound`), as operators list and inspect them.
 *
 * Tenancy: a refusal belongs to the tenant its job named when that tenant existed
 * (`tenant_id`). One that named no existing tenant belongs to nobody a producer could
 * prove it is; it is the operator's, shown to the `default` tenant only, never to the
 * tenant whose name a producer may have mistyped or made up.
 */
export interface OutboundRequestRefusalView {
  id: string;
  jobName: string;
  tenant: string | null;
  reason: RefusalReason;
  message: string;
  data: string;
  dataBytes: number;
  dataTruncated: boolean;
  createdAt: string;
}

type Row = Record<string, unknown>;
const iso = (value: unknown): string => new Date(value as string).toISOString();

/** Rows the caller's tenant ($1) may see; `tenant_id` null is the default tenant's. */
const VISIBLE_TO_TENANT = `(r.tenant_id = $1 OR (r.tenant_id IS NULL AND EXISTS (
   SELECT 1 FROM tenants t WHERE t.id = $1 AND t.name = '${DEFAULT_TENANT_NAME}')))`;

const COLUMNS = `r.id, r.job_name, r.tenant, r.reason, r.data, r.data_bytes, r.created_at,
   octet_length(r.data) < r.data_bytes AS data_truncated, ${positionAtSql('r.created_at')}`;

@Injectable()
export class OutboundRequestRefusalsService {
  constructor(private readonly dataSource: DataSource) {}

  async list(
    tenantId: string,
    query: ListOutboundRequestRefusalsQuery,
  ): Promise<Page<OutboundRequestRefusalView>> {
    const limit = query.limit ?? 50;
    const where = [VISIBLE_TO_TENANT];
    const params: unknown[] = [tenantId];
    const add = (sql: (n: number) => string, value: unknown) => {
      params.push(value);
      where.push(sql(params.length));
    };
    // The column holds `<reason>: <message>` (RequestRefusals.record).
    if (query.reason) add((n) => `split_part(r.reason, ':', 1) = $${n}`, query.reason);
    if (query.from) add((n) => `r.created_at >= $${n}`, toTimestamp(query.from));
    if (query.to) add((n) => `r.created_at < $${n}`, toTimestamp(query.to));
    const after = afterCursor(query.cursor, params, { time: 'r.created_at', id: 'r.id' });
    if (after) where.push(after);
    params.push(limit + 1);
    const rows: Row[] = await this.dataSource.query(
      `SELECT ${COLUMNS} FROM outbound_request_refusals r
        WHERE ${where.join(' AND ')}
        ORDER BY r.created_at DESC, r.id DESC
        LIMIT $${params.length}`,
      params,
    );
    // Refusals of one burst share milliseconds: the position keeps Postgres' microseconds.
    return toPage(rows, limit, toView, (row) => ({
      at: String(row.position_at),
      id: String(row.id),
    }));
  }

  async get(tenantId: string, id: string): Promise<OutboundRequestRefusalView> {
    const rows: Row[] = await this.dataSource.query(
      `SELECT ${COLUMNS} FROM outbound_request_refusals r
        WHERE ${VISIBLE_TO_TENANT} AND r.id = $2`,
      [tenantId, requireUuid(id, 'refusal')],
    );
    if (!rows[0]) throw new NotFoundException(`refusal ${id} not found`);
    return toView(rows[0]);
  }
}

function toView(row: Row): OutboundRequestRefusalView {
  const stored = String(row.reason);
  const colon = stored.indexOf(': ');
  const code = colon < 0 ? stored : stored.slice(0, colon);
  return {
    id: String(row.id),
    jobName: String(row.job_name),
    tenant: (row.tenant as string | null) ?? null,
    reason: (REFUSAL_REASONS as readonly string[]).includes(code)
      ? (code as RefusalReason)
      : 'malformed',
    message: colon < 0 ? '' : stored.slice(colon + 2),
    data: String(row.data),
    dataBytes: Number(row.data_bytes),
    dataTruncated: row.data_truncated === true,
    createdAt: iso(row.created_at),
  };
}
