import { query } from '../../support/database';
import type { Stack } from './stack';

/**
 * An inbound endpoint whose handler writes one record per event (`create_record`), so an
 * event processed twice shows as a second record: the records count is the effect count.
 * Delivery identity comes from `X-Delivery-Id`, so a sender that retries after a lost
 * answer gets the original event back as a duplicate instead of a second event.
 */
export async function recordingEndpoint(
  stack: Stack,
  code: string,
  action: 'create_record' | 'upsert_record' = 'create_record',
): Promise<{ url: string; model: string }> {
  await stack.create('/handlers', {
    code,
    name: code,
    direction: 'inbound',
    executionMode: 'rules',
    rules: [
      {
        sequence: 1,
        name: 'record',
        conditions: [],
        action,
        targetModel: code,
        ...(action === 'upsert_record'
          ? { lookups: [{ field: 'n', source: { kind: 'payload', path: 'n' } }] }
          : {}),
        assignments: [
          { field: 'n', source: { kind: 'payload', path: 'n' } },
          { field: 'event', source: { kind: 'event', field: 'id' } },
        ],
      },
    ],
  });
  const endpoint = await stack.create<{ url: string }>('/inbound-endpoints', {
    name: code,
    path: code,
    handler: code,
    identity: { delivery: { policy: 'delivery_header', header: 'X-Delivery-Id' } },
  });
  return { url: `${stack.inboundUrl}${endpoint.url}`, model: code };
}

export interface InboundTally {
  stored: number;
  byState: Record<string, number>;
  records: number;
  distinctRecordEvents: number;
  distinctN: number;
}

export async function tallyInbound(path: string, model: string): Promise<InboundTally> {
  const db = process.env.DATABASE_URL!;
  const states = await query<{ state: string; n: number }>(
    db,
    `SELECT state, count(*)::int AS n FROM inbound_events WHERE endpoint_path = $1 GROUP BY state`,
    [path],
  );
  const byState = Object.fromEntries(states.map((row) => [row.state, row.n]));
  const [records] = await query<{ n: number; events: number; distinct_n: number }>(
    db,
    `SELECT count(*)::int AS n, count(DISTINCT data->>'event')::int AS events,
            count(DISTINCT data->>'n')::int AS distinct_n
       FROM records WHERE model = $1`,
    [model],
  );
  return {
    stored: states.reduce((sum, row) => sum + row.n, 0),
    byState,
    records: records.n,
    distinctRecordEvents: records.events,
    distinctN: records.distinct_n,
  };
}

/** Acknowledged ids that are not in Postgres in a final state. */
export async function unfinished(ids: string[]): Promise<string[]> {
  if (ids.length === 0) return [];
  const rows = await query<{ id: string }>(
    process.env.DATABASE_URL!,
    `SELECT id FROM inbound_events WHERE id = ANY($1::uuid[]) AND state IN ('done', 'error', 'dead_letter')`,
    [ids],
  );
  const final = new Set(rows.map((row) => row.id));
  return ids.filter((id) => !final.has(id));
}
