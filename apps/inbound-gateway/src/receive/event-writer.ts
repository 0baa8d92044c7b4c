import type { DataSource } from 'typeorm';
import type { HeaderBag, QueryBag } from '@app/core';

/**
 * Persists received events. Identity uniqueness is enforced by Postgres (partial unique
 * indexes that exclude rejected events), so concurrent copies of one delivery race on
 * the index: exactly one insert wins, the others become duplicates of it.
 */
export interface NewInboundEvent {
  id: string;
  tenantId: string;
  endpointId: string;
  endpointPath: string;
  state: 'received' | 'rejected';
  method: string;
  url: string;
  headers: HeaderBag;
  query: QueryBag;
  rawBody: Buffer;
  contentType: string | null;
  payload: unknown;
  semantic: Record<string, unknown>;
  deliveryIdentity: string | null;
  replayIdentity: string | null;
  rejectReason?: string;
}

export interface InsertOutcome {
  id: string;
  duplicate: boolean;
}

const INSERT_SQL = `
  INSERT INTO inbound_events
    (id, tenant_id, endpoint_id, endpoint_path, state, method, url, headers, query, raw_body,
     content_type, payload, semantic, delivery_identity, replay_identity, reject_reason)
  VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)
  ON CONFLICT DO NOTHING
  RETURNING id`;

const DUPLICATE_SQL = `
  UPDATE inbound_events
     SET duplicate_count = duplicate_count + 1, last_duplicate_at = now()
   WHERE id = (
     SELECT id FROM inbound_events
      WHERE endpoint_id = $1 AND state <> 'rejected'
        AND ((delivery_identity = $2 AND $2 IS NOT NULL) OR (replay_identity = $3 AND $3 IS NOT NULL))
      ORDER BY received_at
      LIMIT 1)
  RETURNING id`;

export class EventWriter {
  constructor(private readonly dataSource: DataSource) {}

  async insert(event: NewInboundEvent): Promise<InsertOutcome> {
    // A conflicting row can be rejected or reset between our insert and our update; a few
    // rounds settle it (each round either inserts or finds the live original).
    for (let round = 0; round < 3; round++) {
      const inserted: Array<{ id: string }> = await this.dataSource.query(INSERT_SQL, [
        event.id,
        event.tenantId,
        event.endpointId,
        event.endpointPath,
        event.state,
        event.method,
        event.url,
        event.headers,
        event.query,
        event.rawBody,
        event.contentType,
        event.payload === null || event.payload === undefined
          ? null
          : JSON.stringify(event.payload),
        event.semantic,
        event.deliveryIdentity,
        event.replayIdentity,
        event.rejectReason ?? null,
      ]);
      if (inserted.length > 0) return { id: inserted[0].id, duplicate: false };
      const original: Array<{ id: string }> = await this.dataSource.query(DUPLICATE_SQL, [
        event.endpointId,
        event.deliveryIdentity,
        event.replayIdentity,
      ]);
      // typeorm returns [rows, affected] for UPDATE … RETURNING
      const rows = Array.isArray(original[0])
        ? (original[0] as unknown as Array<{ id: string }>)
        : original;
      if (rows.length > 0) return { id: rows[0].id, duplicate: true };
    }
    throw new Error('could not settle an identity conflict after 3 rounds');
  }
}
