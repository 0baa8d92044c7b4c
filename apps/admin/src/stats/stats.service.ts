import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { validationFailure } from '../common/validation';
import { INBOUND_EVENT_STATES } from '../inbound-events/inbound-events.dto';

/**
 * Operations statistics (SPEC §8 `GET /stats`) for one tenant and one time window, exact,
 * at a cost that does not grow with the tables:
 *
 * - Terminal states (inbound `done`/`rejected`, delivery `done`: nothing ever leaves them)
 *   are most of the rows. They are counted by the UTC hour they finished in: from
 *   `stats_hourly` (StatsRollupJob) for the whole hours the rollup covers, and live from
 *   the finish-time partial indexes for the partial hours at the window's edges and the
 *   last hour or so not rolled up yet.
 * - Every other state can still change (an operator resets an `error`), so it is counted
 *   live, by received/created time, from the `(endpoint_id, state, time)` indexes: the
 *   tenant's endpoints and those states are given as arrays, so Postgres reads only their
 *   index entries. That part grows with the failed/pending rows of the window, which is
 *   why the window is bounded (at most 31 days, default 7). Events and deliveries always
 *   carry their endpoint's tenant, so scoping by the tenant's endpoints scopes by tenant.
 * - Retention deletes rows, not their rolled-up counts: finished traffic stays in the
 *   daily figures after the rows are purged.
 *
 * Attempt latency percentiles are computed over a bounded sample: the most recent
 * `LATENCY_SAMPLE` attempts started in the window (an index-only scan of
 * `delivery_attempts (tenant_id, started_at)`); the response says when it was sampled.
 */
export const DEFAULT_WINDOW_DAYS = 7;
export const MAX_WINDOW_DAYS = 31;
export const LATENCY_SAMPLE = 10_000;
const DAY_MS = 86_400_000;

export const DELIVERY_STATES = [
  'draft',
  'queued',
  'processing',
  'done',
  'error',
  'dead_letter',
  'canceled',
] as const;

type Counts = Record<string, number>;
type Direction = 'inbound' | 'outbound';

/** Where each direction's rows live; terminal states are the ones nothing ever leaves. */
const DIRECTION_SPECS = {
  inbound: {
    table: 'inbound_events',
    createdAt: 'received_at',
    finishedAt: 'COALESCE(processed_at, received_at)',
    terminal: `state IN ('done', 'rejected')`,
    liveStates: INBOUND_EVENT_STATES.filter((s) => s !== 'done' && s !== 'rejected'),
  },
  outbound: {
    table: 'deliveries',
    createdAt: 'created_at',
    finishedAt: 'COALESCE(completed_at, updated_at)',
    terminal: `state = 'done'`,
    liveStates: DELIVERY_STATES.filter((s) => s !== 'done'),
  },
} as const;

const HOUR_MS = 3_600_000;
const floorHour = (at: Date) => new Date(Math.floor(at.getTime() / HOUR_MS) * HOUR_MS);
const ceilHour = (at: Date) => new Date(Math.ceil(at.getTime() / HOUR_MS) * HOUR_MS);

export interface DirectionStats {
  total: number;
  byState: Counts;
  /** done / (done + error + dead_letter); null when nothing finished in the window. */
  successRate: number | null;
}

export interface EndpointStats extends DirectionStats {
  endpointId: string | null;
  /** Inbound: the path; outbound: the code (null for deliveries to an unknown endpoint). */
  name: string | null;
}

export interface DailyStats {
  day: string;
  inbound: number;
  outbound: number;
}

export interface LatencyStats {
  p50: number | null;
  p95: number | null;
  p99: number | null;
  /** Attempts the percentiles were computed from. */
  sampleSize: number;
  /** True when the window held more attempts than the sample (the most recent ones count). */
  sampled: boolean;
}

export interface StatsView {
  from: string;
  to: string;
  inbound: DirectionStats & { endpoints: EndpointStats[] };
  outbound: DirectionStats & {
    endpoints: Array<EndpointStats & { latencyMs: LatencyStats }>;
  };
  daily: DailyStats[];
  attemptLatencyMs: LatencyStats & { method: string };
}

interface CountRow {
  endpoint_id: string | null;
  state: string;
  day: string;
  n: number;
}

interface LatencyRow {
  endpoint_id: string | null;
  whole: boolean;
  n: number;
  p: Array<number | null> | null;
}

@Injectable()
export class StatsService {
  constructor(private readonly dataSource: DataSource) {}

  async stats(tenantId: string, query: { from?: string; to?: string }): Promise<StatsView> {
    const { from, to } = statsWindow(query);
    const [inboundEndpoints, outboundEndpoints, watermarks] = await Promise.all([
      this.dataSource.query<Array<{ id: string; name: string }>>(
        `SELECT id, path AS name FROM inbound_endpoints WHERE tenant_id = $1`,
        [tenantId],
      ),
      this.dataSource.query<Array<{ id: string; name: string }>>(
        `SELECT id, code AS name FROM outbound_endpoints WHERE tenant_id = $1`,
        [tenantId],
      ),
      // Before the first rollup the watermark is '-infinity', which pg answers as the
      // number -Infinity, not a Date: epoch milliseconds avoid the special value.
      this.dataSource.query<Array<{ direction: Direction; rolled_up_to_ms: string | null }>>(
        `SELECT direction,
                CASE WHEN isfinite(rolled_up_to) THEN (extract(epoch FROM rolled_up_to) * 1000)::bigint END
                  AS rolled_up_to_ms
           FROM stats_rollup_watermarks`,
      ),
    ]);
    const rolledUpTo = (direction: Direction) => {
      const ms = watermarks.find((w) => w.direction === direction)?.rolled_up_to_ms;
      return ms === null || ms === undefined ? new Date(-8.64e15) : new Date(Number(ms));
    };
    const [inboundRows, outboundRows, latencyRows] = await Promise.all([
      this.counts('inbound', tenantId, inboundEndpoints, from, to, rolledUpTo('inbound')),
      this.counts('outbound', tenantId, outboundEndpoints, from, to, rolledUpTo('outbound')),
      this.dataSource.query<LatencyRow[]>(
        `WITH sample AS (
           SELECT endpoint_id, duration_ms FROM delivery_attempts
            WHERE tenant_id = $1 AND started_at >= $2 AND started_at < $3
              AND duration_ms IS NOT NULL AND outcome NOT IN ('interrupted', 'refused')
            ORDER BY started_at DESC
            LIMIT $4)
         SELECT endpoint_id, GROUPING(endpoint_id) = 1 AS whole, count(*)::int AS n,
                percentile_cont(ARRAY[0.5, 0.95, 0.99]::float8[]) WITHIN GROUP (ORDER BY duration_ms) AS p
           FROM sample
          GROUP BY GROUPING SETS ((), (endpoint_id))`,
        [tenantId, from, to, LATENCY_SAMPLE],
      ),
    ]);

    const inbound = summarise(inboundRows, inboundEndpoints);
    const outbound = summarise(outboundRows, outboundEndpoints);
    const whole = latencyRows.find((row) => row.whole);
    const sampled = (whole?.n ?? 0) >= LATENCY_SAMPLE;
    const latencyOf = (row: LatencyRow | undefined): LatencyStats => ({
      p50: round(row?.p?.[0]),
      p95: round(row?.p?.[1]),
      p99: round(row?.p?.[2]),
      sampleSize: row?.n ?? 0,
      sampled,
    });
    return {
      from: from.toISOString(),
      to: to.toISOString(),
      inbound: { ...inbound.total, endpoints: inbound.endpoints },
      outbound: {
        ...outbound.total,
        endpoints: outbound.endpoints.map((endpoint) => ({
          ...endpoint,
          latencyMs: latencyOf(
            latencyRows.find((row) => !row.whole && row.endpoint_id === endpoint.endpointId),
          ),
        })),
      },
      daily: daily(from, to, inboundRows, outboundRows),
      attemptLatencyMs: {
        ...latencyOf(whole),
        method: `exact over the most recent ${LATENCY_SAMPLE} attempts started in the window (interrupted and refused attempts excluded)`,
      },
    };
  }

  /**
   * (endpoint, state, UTC day) counts of one direction in [from, to): terminal states from
   * the hourly rollup for the whole hours it covers and live (finish-time index) for the
   * rest; other states live from the `(endpoint_id, state, time)` index.
   */
  private async counts(
    direction: Direction,
    tenantId: string,
    endpoints: Array<{ id: string }>,
    from: Date,
    to: Date,
    rolledUpTo: Date,
  ): Promise<CountRow[]> {
    const spec = DIRECTION_SPECS[direction];
    const firstHour = ceilHour(from);
    const rolledEnd = new Date(Math.min(floorHour(to).getTime(), rolledUpTo.getTime()));
    const useRollup = firstHour < rolledEnd;
    // Live terminal ranges: before the first whole hour, and after the rollup's end.
    const [liveA, liveB] = useRollup
      ? [
          [from, firstHour],
          [rolledEnd, to],
        ]
      : [
          [from, to],
          [to, to],
        ];
    const day = (column: string) => `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD')`;
    const queries: Array<Promise<CountRow[]>> = [
      this.dataSource.query<CountRow[]>(
        `SELECT endpoint_id, state, ${day(spec.createdAt)} AS day, count(*)::int AS n
           FROM ${spec.table}
          WHERE endpoint_id = ANY($1::uuid[]) AND state = ANY($2::text[])
            AND ${spec.createdAt} >= $3 AND ${spec.createdAt} < $4
          GROUP BY 1, 2, 3`,
        [endpoints.map((e) => e.id), spec.liveStates, from, to],
      ),
      this.dataSource.query<CountRow[]>(
        `SELECT endpoint_id, state, ${day(spec.finishedAt)} AS day, count(*)::int AS n
           FROM ${spec.table}
          WHERE ${spec.terminal} AND tenant_id = $1
            AND ((${spec.finishedAt} >= $2 AND ${spec.finishedAt} < $3)
              OR (${spec.finishedAt} >= $4 AND ${spec.finishedAt} < $5))
          GROUP BY 1, 2, 3`,
        [tenantId, liveA[0], liveA[1], liveB[0], liveB[1]],
      ),
    ];
    if (useRollup) {
      queries.push(
        this.dataSource.query<CountRow[]>(
          `SELECT endpoint_id, state, ${day('hour')} AS day, sum(count)::int AS n
             FROM stats_hourly
            WHERE tenant_id = $1 AND direction = $2 AND hour >= $3 AND hour < $4
            GROUP BY 1, 2, 3`,
          [tenantId, direction, firstHour, rolledEnd],
        ),
      );
    }
    if (direction === 'outbound') {
      // Deliveries to an unknown endpoint have no endpoint id: a small partial index.
      queries.push(
        this.dataSource.query<CountRow[]>(
          `SELECT NULL::uuid AS endpoint_id, state, ${day('created_at')} AS day, count(*)::int AS n
             FROM deliveries
            WHERE tenant_id = $1 AND endpoint_id IS NULL AND state = ANY($2::text[])
              AND created_at >= $3 AND created_at < $4
            GROUP BY 1, 2, 3`,
          [tenantId, spec.liveStates, from, to],
        ),
      );
    }
    return (await Promise.all(queries)).flat();
  }
}

/** Validates and defaults the window: `from < to`, at most MAX_WINDOW_DAYS long. */
export function statsWindow(query: { from?: string; to?: string }): { from: Date; to: Date } {
  const to = query.to ? new Date(query.to) : new Date();
  const from = query.from
    ? new Date(query.from)
    : new Date(to.getTime() - DEFAULT_WINDOW_DAYS * DAY_MS);
  if (from.getTime() >= to.getTime()) {
    throw validationFailure([{ field: 'from', problems: ['from must be before to'] }]);
  }
  if (to.getTime() - from.getTime() > MAX_WINDOW_DAYS * DAY_MS) {
    throw validationFailure([
      {
        field: query.from ? 'from' : 'to',
        problems: [`the window may span at most ${MAX_WINDOW_DAYS} days`],
      },
    ]);
  }
  return { from, to };
}

function successRate(byState: Counts): number | null {
  const done = byState.done ?? 0;
  const finished = done + (byState.error ?? 0) + (byState.dead_letter ?? 0);
  return finished === 0 ? null : Math.round((done / finished) * 10_000) / 10_000;
}

function summarise(
  rows: CountRow[],
  endpoints: Array<{ id: string; name: string }>,
): { total: DirectionStats; endpoints: EndpointStats[] } {
  const totalByState: Counts = {};
  const perEndpoint = new Map<string | null, Counts>();
  let total = 0;
  for (const row of rows) {
    total += row.n;
    totalByState[row.state] = (totalByState[row.state] ?? 0) + row.n;
    const counts = perEndpoint.get(row.endpoint_id) ?? {};
    counts[row.state] = (counts[row.state] ?? 0) + row.n;
    perEndpoint.set(row.endpoint_id, counts);
  }
  const names = new Map(endpoints.map((e) => [e.id, e.name]));
  return {
    total: { total, byState: totalByState, successRate: successRate(totalByState) },
    endpoints: [...perEndpoint]
      .map(([endpointId, byState]) => ({
        endpointId,
        name: endpointId ? (names.get(endpointId) ?? null) : null,
        total: Object.values(byState).reduce((a, b) => a + b, 0),
        byState,
        successRate: successRate(byState),
      }))
      .sort((a, b) => b.total - a.total || String(a.name).localeCompare(String(b.name))),
  };
}

/** One entry per UTC day the window touches, zeros included, oldest first. */
function daily(from: Date, to: Date, inbound: CountRow[], outbound: CountRow[]): DailyStats[] {
  const days = new Map<string, DailyStats>();
  const first = Date.UTC(from.getUTCFullYear(), from.getUTCMonth(), from.getUTCDate());
  for (let at = first; at < to.getTime(); at += DAY_MS) {
    const day = new Date(at).toISOString().slice(0, 10);
    days.set(day, { day, inbound: 0, outbound: 0 });
  }
  for (const row of inbound) {
    const entry = days.get(row.day);
    if (entry) entry.inbound += row.n;
  }
  for (const row of outbound) {
    const entry = days.get(row.day);
    if (entry) entry.outbound += row.n;
  }
  return [...days.values()];
}

function round(value: number | null | undefined): number | null {
  return value === null || value === undefined ? null : Math.round(value * 10) / 10;
}
