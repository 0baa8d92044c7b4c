import {
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
  OnApplicationShutdown,
} from '@nestjs/common';
import { DataSource } from 'typeorm';
import { APP_CONFIG, PeriodicTask } from '@app/platform';
import type { AdminConfig } from '../config';

/**
 * Rolls finished items up into `stats_hourly` (see the StatsRollup migration): every
 * STATS_ROLLUP_INTERVAL_SECONDS, for each direction, the closed UTC hours between the
 * watermark and `now() - ROLLUP_LAG` are counted once and the watermark moves on, in one
 * transaction — so a crash or a second admin replica (it waits on the watermark row, then
 * finds nothing left) never counts an hour twice.
 *
 * ROLLUP_LAG covers commit latency: a row's finish time is set by the statement that
 * finishes it, and the transaction commits a little later; every statement has a 30 s
 * timeout and idle transactions end after 60 s, so five minutes is well past any commit.
 *
 * Runs in the admin app, like retention: off the hot path, one place for both directions.
 */
export const ROLLUP_LAG = '5 minutes';

const DIRECTIONS = {
  inbound: {
    table: 'inbound_events',
    finishedAt: 'COALESCE(processed_at, received_at)',
    terminal: `state IN ('done', 'rejected')`,
  },
  outbound: {
    table: 'deliveries',
    finishedAt: 'COALESCE(completed_at, updated_at)',
    terminal: `state = 'done'`,
  },
} as const;

@Injectable()
export class StatsRollupJob implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(StatsRollupJob.name);
  private readonly periodic: PeriodicTask;

  constructor(
    private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) config: AdminConfig,
  ) {
    this.periodic = new PeriodicTask(
      config.STATS_ROLLUP_INTERVAL_SECONDS * 1000,
      () => this.rollUp(),
      (error) => this.logger.warn(`stats rollup failed: ${String(error)}`),
    );
  }

  onApplicationBootstrap(): void {
    this.periodic.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.periodic.stop();
  }

  /** One pass; returns the rollup rows written per direction (tests call it directly). */
  async rollUp(): Promise<{ inbound: number; outbound: number }> {
    return {
      inbound: await this.rollUpDirection('inbound'),
      outbound: await this.rollUpDirection('outbound'),
    };
  }

  private rollUpDirection(direction: keyof typeof DIRECTIONS): Promise<number> {
    const { table, finishedAt, terminal } = DIRECTIONS[direction];
    return this.dataSource.transaction(async (manager) => {
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
      await manager.query(
        `UPDATE stats_rollup_watermarks SET rolled_up_to = $2 WHERE direction = $1`,
        [direction, mark.to],
      );
      return Array.isArray(written) ? written.length : 0;
    });
  }
}
