import { DELIVERY_STATES } from '../entities/delivery.entity';
import { INBOUND_EVENT_STATES } from '../entities/inbound-event.entity';
import { BaseRepository } from './base.repository';

/**
 * The statistics of `GET /stats` (SPEC §8) and the hourly rollup behind them
 * (`stats_hourly`, `stats_rollup_watermarks`; see the StatsRollup migration). The
 * statements are tuned for a cost that does not grow with the tables (the
 * `(endpoint_id, state, time)` and finish-time partial indexes, the index-only latency
 * sample, the rollup upsert) and are kept as they were written, with their reasons.
 */
export type StatsDirection = 'inbound' | 'outbound';

/** (endpoint, state, UTC day) count. */
export interface StatsCountRow {
  endpoint_id: string | null;
  state: string;
  day: string;
  n: number;
}

/** Percentiles of the latency sample: the whole sample (`whole`) and per endpoint. */
export interface StatsLatencyRow {
  endpoint_id: string | null;
  whole: boolean;
  n: number;
  p: Array<number | null> | null;
}

/** A `GET /stats?groupBy=` breakdown row (see `breakdown`). */
export type StatsBreakdownRow =
  | { dimension: 'eventType'; event_type: string; state: string; n: number }
  | { dimension: 'recordModel'; model: string; created: number }
  | { dimension: 'errorClass'; direction: StatsDirection; error_class: string; n: number };

export type StatsBreakdownDimension = StatsBreakdownRow['dimension'];

/**
 * How many groups a breakdown answers at most (the largest first): event types and models
 * are named by publishers and rules, so their number is not ours to bound.
 */
export const BREAKDOWN_GROUPS = 100;

/**
 * The error class of a rejected event: the stable code of the typed error the gateway
 * refused it with (libs/core/src/errors), stored in `reject_code` — `signature_invalid`,
 * `timestamp_invalid`, `payload_invalid`, or `configuration_invalid` when a check failed on
 * the endpoint's own configuration rather than on the request (rare: security settings
 * are checked when an endpoint is loaded, and one failing there answers
 * `signature_invalid`). Each is reported as its own class, the code the sender got.
 *
 * Rows stored before the InboundRejectCode migration have no code; only for them is the
 * class still guessed from the reason text, as it was before: every signature reason
 * names the signature, a signed part, the secret or the verification; every freshness
 * reason names the timestamp; the rest are payload refusals. Nothing backfills them
 * (retention ages them out), so this fallback can go once no such row is kept.
 */
const REJECT_CLASS = `COALESCE(reject_code, CASE
  WHEN reject_reason ~* '(signature|signed message|secret|verify)' THEN 'signature_invalid'
  WHEN reject_reason ~* 'timestamp' THEN 'timestamp_invalid'
  ELSE 'payload_invalid' END)`;

/** The error class of a failed attempt: the sender's class, else its HTTP status class. */
const ATTEMPT_CLASS = `COALESCE(error_class, CASE
  WHEN outcome = 'interrupted' THEN 'interrupted'
  WHEN response_status >= 500 THEN 'http_5xx'
  WHEN response_status >= 400 THEN 'http_4xx'
  WHEN response_status >= 300 THEN 'http_3xx'
  ELSE outcome END)`;

export interface StatsEndpointName {
  id: string;
  name: string;
}

/**
 * Where each direction's rows live; terminal states are the ones nothing ever leaves
 * (inbound `done`/`rejected`, delivery `done`): they are counted by the hour they finished
 * in, every other state live by received/created time.
 */
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

/**
 * How long after the hour's end the rollup waits: a row's finish time is set by the
 * statement that finishes it, and the transaction commits a little later; every statement
 * has a 30 s timeout and idle transactions end after 60 s, so five minutes is well past
 * any commit.
 */
export const ROLLUP_LAG = '5 minutes';

const HOUR_MS = 3_600_000;
const floorHour = (at: Date) => new Date(Math.floor(at.getTime() / HOUR_MS) * HOUR_MS);
const ceilHour = (at: Date) => new Date(Math.ceil(at.getTime() / HOUR_MS) * HOUR_MS);
const day = (column: string) => `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD')`;

/**
 * How a window splits between the rollup and live counting: the whole hours from the
 * first one in the window to the rollup's end come from the rollup; the partial hour
 * before (`liveA`) and whatever follows the rollup's end (`liveB`) are counted live.
 */
function rollupRanges(from: Date, to: Date, rolledUpTo: Date) {
  const firstHour = ceilHour(from);
  const rolledEnd = new Date(Math.min(floorHour(to).getTime(), rolledUpTo.getTime()));
  const useRollup = firstHour < rolledEnd;
  const [liveA, liveB]: Array<[Date, Date]> = useRollup
    ? [
        [from, firstHour],
        [rolledEnd, to],
      ]
    : [
        [from, to],
        [to, to],
      ];
  // Without a rollup part its range is empty (and never the watermark's distant past,
  // which Postgres cannot take as a timestamp).
  return { firstHour, rolledEnd: useRollup ? rolledEnd : firstHour, useRollup, liveA, liveB };
}

export class StatsRepository extends BaseRepository {
  /** The tenant's inbound endpoints (name: the path) and outbound ones (name: the code). */
  async endpointNames(
    tenantId: string,
  ): Promise<{ inbound: StatsEndpointName[]; outbound: StatsEndpointName[] }> {
    const [inbound, outbound] = await Promise.all([
      this.manager.query<StatsEndpointName[]>(
        `SELECT id, path AS name FROM inbound_endpoints WHERE tenant_id = $1`,
        [tenantId],
      ),
      this.manager.query<StatsEndpointName[]>(
        `SELECT id, code AS name FROM outbound_endpoints WHERE tenant_id = $1`,
        [tenantId],
      ),
    ]);
    return { inbound, outbound };
  }

  /** How far each direction is rolled up; before the first rollup, the distant past. */
  async rolledUpTo(): Promise<Record<StatsDirection, Date>> {
    // Before the first rollup the watermark is '-infinity', which pg answers as the
    // number -Infinity, not a Date: epoch milliseconds avoid the special value.
    const watermarks = await this.manager.query<
      Array<{ direction: StatsDirection; rolled_up_to_ms: string | null }>
    >(
      `SELECT direction,
              CASE WHEN isfinite(rolled_up_to) THEN (extract(epoch FROM rolled_up_to) * 1000)::bigint END
                AS rolled_up_to_ms
         FROM stats_rollup_watermarks`,
    );
    const of = (direction: StatsDirection) => {
      const ms = watermarks.find((w) => w.direction === direction)?.rolled_up_to_ms;
      return ms === null || ms === undefined ? new Date(-8.64e15) : new Date(Number(ms));
    };
    return { inbound: of('inbound'), outbound: of('outbound') };
  }

  /**
   * Attempt latency percentiles over the most recent `sample` attempts started in
   * [from, to): an index-only scan of `delivery_attempts (tenant_id, started_at)`, for the
   * whole sample and per endpoint (GROUPING SETS).
   */
  latency(tenantId: string, from: Date, to: Date, sample: number): Promise<StatsLatencyRow[]> {
    return this.manager.query<StatsLatencyRow[]>(
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
      [tenantId, from, to, sample],
    );
  }

  /**
   * (endpoint, state, UTC day) counts of one direction in [from, to): terminal states from
   * the hourly rollup for the whole hours it covers and live (finish-time index) for the
   * rest; other states live from the `(endpoint_id, state, time)` index, the tenant's
   * endpoints and those states given as arrays so Postgres reads only their index
   * entries. Events and deliveries always carry their endpoint's tenant, so scoping by the
   * tenant's endpoints scopes by tenant.
   */
  async counts(
    direction: StatsDirection,
    tenantId: string,
    endpoints: Array<{ id: string }>,
    from: Date,
    to: Date,
    rolledUpTo: Date,
  ): Promise<StatsCountRow[]> {
    const spec = DIRECTION_SPECS[direction];
    const { firstHour, rolledEnd, useRollup, liveA, liveB } = rollupRanges(from, to, rolledUpTo);
    const queries: Array<Promise<StatsCountRow[]>> = [
      this.manager.query<StatsCountRow[]>(
        `SELECT endpoint_id, state, ${day(spec.createdAt)} AS day, count(*)::int AS n
           FROM ${spec.table}
          WHERE endpoint_id = ANY($1::uuid[]) AND state = ANY($2::text[])
            AND ${spec.createdAt} >= $3 AND ${spec.createdAt} < $4
          GROUP BY 1, 2, 3`,
        [endpoints.map((e) => e.id), spec.liveStates, from, to],
      ),
      this.manager.query<StatsCountRow[]>(
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
        this.manager.query<StatsCountRow[]>(
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
        this.manager.query<StatsCountRow[]>(
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

  /**
   * Rolls the closed UTC hours between the direction's watermark and `now() - ROLLUP_LAG`
   * into `stats_hourly` and moves the watermark on, in one transaction: a crash or a second
   * admin replica (it waits on the watermark row, then finds nothing left) never counts an
   * hour twice. Returns the rollup rows written. The statements are the tuned originals.
   */
  rollUp(direction: StatsDirection): Promise<number> {
    const { table, finishedAt, terminal } = DIRECTION_SPECS[direction];
    return this.manager.transaction(async (manager) => {
      // The first pass over a big table aggregates all of it once.
      await manager.query(`SET LOCAL statement_timeout = 0`);
      const [mark] = (await manager.query(
        `SELECT rolled_up_to AS "from", date_trunc('hour', now() - interval '${ROLLUP_LAG}', 'UTC') AS "to",
                rolled_up_to < date_trunc('hour', now() - interval '${ROLLUP_LAG}', 'UTC') AS due
           FROM stats_rollup_watermarks WHERE direction = $1 FOR UPDATE`,
        [direction],
      )) as Array<{ from: Date; to: Date; due: boolean }>;
      if (!mark?.due) return 0;
      // Per tenant, so the (tenant_id, finish time) index serves it.
      const tenants = (await manager.query(`SELECT id FROM tenants`)) as Array<{ id: string }>;
      const written: unknown = await manager.query(
        `INSERT INTO stats_hourly AS s (tenant_id, direction, endpoint_id, hour, state, count)
         SELECT tenant_id, $1, endpoint_id, date_trunc('hour', ${finishedAt}, 'UTC'), state, count(*)
           FROM ${table}
          WHERE ${terminal} AND tenant_id = ANY($4::uuid[])
            AND ${finishedAt} >= $2 AND ${finishedAt} < $3
          GROUP BY 1, 3, 4, 5
         ON CONFLICT (tenant_id, direction, hour, state,
                      COALESCE(endpoint_id, '00000000-0000-0000-0000-000000000000'::uuid))
         DO UPDATE SET count = s.count + EXCLUDED.count
         RETURNING 1`,
        [direction, mark.from, mark.to, tenants.map((t) => t.id)],
      );
      // The breakdowns' rollup (stats_hourly_breakdowns), same hours, same transaction.
      const breakdown: unknown = await manager.query(
        direction === 'outbound'
          ? `INSERT INTO stats_hourly_breakdowns AS s (tenant_id, dimension, value, hour, state, count)
             SELECT tenant_id, 'eventType', event_type, date_trunc('hour', ${finishedAt}, 'UTC'), 'done', count(*)
               FROM deliveries
              WHERE state = 'done' AND event_type IS NOT NULL AND tenant_id = ANY($3::uuid[])
                AND ${finishedAt} >= $1 AND ${finishedAt} < $2
              GROUP BY 1, 3, 4
             ON CONFLICT (tenant_id, dimension, hour, value, state)
             DO UPDATE SET count = s.count + EXCLUDED.count
             RETURNING 1`
          : `INSERT INTO stats_hourly_breakdowns AS s (tenant_id, dimension, value, hour, state, count)
             SELECT tenant_id, 'recordModel', model, date_trunc('hour', created_at, 'UTC'), 'created', count(*)
               FROM records
              WHERE tenant_id = ANY($3::uuid[]) AND created_at >= $1 AND created_at < $2
              GROUP BY 1, 3, 4
             ON CONFLICT (tenant_id, dimension, hour, value, state)
             DO UPDATE SET count = s.count + EXCLUDED.count
             RETURNING 1`,
        [mark.from, mark.to, tenants.map((t) => t.id)],
      );
      await manager.query(
        `UPDATE stats_rollup_watermarks SET rolled_up_to = $2 WHERE direction = $1`,
        [direction, mark.to],
      );
      return (
        (Array.isArray(written) ? written.length : 0) +
        (Array.isArray(breakdown) ? breakdown.length : 0)
      );
    });
  }

  /**
   * One breakdown of `GET /stats?groupBy=` for [from, to), tenant-scoped, at the cost of
   * the other figures (StatsBreakdowns migration):
   *
   * - `eventType`: fan-out deliveries (those with an event type) by type and state, counted
   *   as the direction's figures are: `done` by the hour it finished, from
   *   `stats_hourly_breakdowns` for the rolled-up whole hours and live at the edges; every
   *   other state live by creation time from a partial index holding only those;
   * - `recordModel`: records created in the window, by model: rollup plus live edges;
   * - `errorClass`: failed attempts started in the window by class (outbound), and inbound
   *   events received in the window that were rejected (by their error code), ended in
   *   `error` (`handler_error`) or were dead-lettered (`dead_letter`): both read failures
   *   only (a partial index; the `(tenant_id, state, received_at)` index).
   */
  async breakdown(
    dimension: StatsBreakdownDimension,
    tenantId: string,
    from: Date,
    to: Date,
    rolledUpTo: Record<StatsDirection, Date>,
  ): Promise<StatsBreakdownRow[]> {
    const args = [tenantId, from, to, BREAKDOWN_GROUPS];
    switch (dimension) {
      case 'eventType': {
        const finishedAt = DIRECTION_SPECS.outbound.finishedAt;
        const r = rollupRanges(from, to, rolledUpTo.outbound);
        const rows = await this.manager.query<
          Array<{ event_type: string; state: string; n: number }>
        >(
          `SELECT event_type, state, sum(n)::int AS n FROM (
             SELECT value AS event_type, state, sum(count) AS n FROM stats_hourly_breakdowns
              WHERE $8 AND tenant_id = $1 AND dimension = 'eventType' AND hour >= $2 AND hour < $3
              GROUP BY 1, 2
             UNION ALL
             SELECT event_type, state, count(*) FROM deliveries
              WHERE state = 'done' AND tenant_id = $1 AND event_type IS NOT NULL
                AND ((${finishedAt} >= $4 AND ${finishedAt} < $5)
                  OR (${finishedAt} >= $6 AND ${finishedAt} < $7))
              GROUP BY 1, 2
             UNION ALL
             SELECT event_type, state, count(*) FROM deliveries
              WHERE tenant_id = $1 AND event_type IS NOT NULL AND state <> 'done'
                AND created_at >= $9 AND created_at < $10
              GROUP BY 1, 2) counted
           GROUP BY 1, 2`,
          [tenantId, r.firstHour, r.rolledEnd, ...r.liveA, ...r.liveB, r.useRollup, from, to],
        );
        return rows.map((row) => ({ dimension, ...row }));
      }
      case 'recordModel': {
        const r = rollupRanges(from, to, rolledUpTo.inbound);
        const rows = await this.manager.query<Array<{ model: string; created: number }>>(
          `SELECT model, sum(n)::int AS created FROM (
             SELECT value AS model, sum(count) AS n FROM stats_hourly_breakdowns
              WHERE $8 AND tenant_id = $1 AND dimension = 'recordModel' AND hour >= $2 AND hour < $3
              GROUP BY 1
             UNION ALL
             SELECT model, count(*) FROM records
              WHERE tenant_id = $1 AND ((created_at >= $4 AND created_at < $5)
                                     OR (created_at >= $6 AND created_at < $7))
              GROUP BY 1) counted
           GROUP BY 1
           ORDER BY 2 DESC, 1
           LIMIT $9`,
          [
            tenantId,
            r.firstHour,
            r.rolledEnd,
            ...r.liveA,
            ...r.liveB,
            r.useRollup,
            BREAKDOWN_GROUPS,
          ],
        );
        return rows.map((row) => ({ dimension, ...row }));
      }
      case 'errorClass': {
        const rows = await this.manager.query<
          Array<{ direction: StatsDirection; error_class: string; n: number }>
        >(
          `SELECT 'outbound' AS direction, ${ATTEMPT_CLASS} AS error_class, count(*)::int AS n
             FROM delivery_attempts
            WHERE tenant_id = $1 AND outcome <> 'success' AND started_at >= $2 AND started_at < $3
            GROUP BY 2
           UNION ALL
           SELECT 'inbound', CASE state WHEN 'rejected' THEN ${REJECT_CLASS}
                                        WHEN 'error' THEN 'handler_error'
                                        ELSE 'dead_letter' END, count(*)::int
             FROM inbound_events
            WHERE tenant_id = $1 AND state IN ('rejected', 'error', 'dead_letter')
              AND received_at >= $2 AND received_at < $3
            GROUP BY 2
           ORDER BY 3 DESC, 1, 2
           LIMIT $4`,
          args,
        );
        return rows.map((row) => ({ dimension, ...row }));
      }
    }
  }
}
