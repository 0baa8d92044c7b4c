import { Injectable, NotFoundException } from '@nestjs/common';
import { REFUSAL_REASONS, type RefusalReason } from '@app/outbound';
import {
  OutboundRequestRefusalsRepository,
  type OutboundRequestRefusalRow,
} from '@app/persistence';
import { requireUuid } from '../common/ids';
import { decodeCursor, toPage, type Page } from '../common/pagination';
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

const iso = (value: unknown): string => new Date(value as string).toISOString();

@Injectable()
export class OutboundRequestRefusalsService {
  constructor(private readonly refusals: OutboundRequestRefusalsRepository) {}

  async list(
    tenantId: string,
    query: ListOutboundRequestRefusalsQuery,
  ): Promise<Page<OutboundRequestRefusalView>> {
    const limit = query.limit ?? 50;
    const rows = await this.refusals.list(
      tenantId,
      {
        reason: query.reason || undefined,
        from: query.from ? toTimestamp(query.from) : undefined,
        to: query.to ? toTimestamp(query.to) : undefined,
      },
      { after: decodeCursor(query.cursor), limit },
    );
    // Refusals of one burst share milliseconds: the position keeps Postgres' microseconds.
    return toPage(rows, limit, toView, (row) => ({
      at: String(row.position_at),
      id: String(row.id),
    }));
  }

  async get(tenantId: string, id: string): Promise<OutboundRequestRefusalView> {
    const row = await this.refusals.findVisible(tenantId, requireUuid(id, 'refusal'));
    if (!row) throw new NotFoundException(`refusal ${id} not found`);
    return toView(row);
  }
}

function toView(row: OutboundRequestRefusalRow): OutboundRequestRefusalView {
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
