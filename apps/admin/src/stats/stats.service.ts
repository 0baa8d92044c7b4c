import { Injectable } from '@nestjs/common';
import { StatsRepository, type StatsCountRow, type StatsLatencyRow } from '@app/persistence';
import { validationFailure } from '../common/validation';
import { dimensionsOf, statsBreakdowns, type StatsBreakdowns } from './stats-breakdowns';

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

type Counts = Record<string, number>;

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
  /** Only when `groupBy` asks for breakdowns (stats-breakdowns.ts). */
  breakdowns?: StatsBreakdowns;
}

@Injectable()
export class StatsService {
  constructor(private readonly repository: StatsRepository) {}

  async stats(
    tenantId: string,
    query: { from?: string; to?: string; groupBy?: string },
  ): Promise<StatsView> {
    const { from, to } = statsWindow(query);
    const dimensions = dimensionsOf(query.groupBy);
    const [names, rolledUpTo] = await Promise.all([
      this.repository.endpointNames(tenantId),
      this.repository.rolledUpTo(),
    ]);
    const [inboundRows, outboundRows, latencyRows, breakdowns] = await Promise.all([
      this.repository.counts('inbound', tenantId, names.inbound, from, to, rolledUpTo.inbound),
      this.repository.counts('outbound', tenantId, names.outbound, from, to, rolledUpTo.outbound),
      this.repository.latency(tenantId, from, to, LATENCY_SAMPLE),
      dimensions.length > 0
        ? statsBreakdowns(
            this.repository,
            dimensions,
            tenantId,
            { from, to, rolledUpTo },
            successRate,
          )
        : undefined,
    ]);

    const inbound = summarise(inboundRows, names.inbound);
    const outbound = summarise(outboundRows, names.outbound);
    const whole = latencyRows.find((row) => row.whole);
    const sampled = (whole?.n ?? 0) >= LATENCY_SAMPLE;
    const latencyOf = (row: StatsLatencyRow | undefined): LatencyStats => ({
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
      ...(breakdowns ? { breakdowns } : {}),
    };
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
  rows: StatsCountRow[],
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
function daily(
  from: Date,
  to: Date,
  inbound: StatsCountRow[],
  outbound: StatsCountRow[],
): DailyStats[] {
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
