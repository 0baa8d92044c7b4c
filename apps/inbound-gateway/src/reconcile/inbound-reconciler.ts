import { InjectQueue } from '@nestjs/bullmq';
import {
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
  OnApplicationShutdown,
} from '@nestjs/common';
import type { Queue } from 'bullmq';
import { DataSource } from 'typeorm';
import {
  InboundEventsJob,
  itemJobId,
  QueueName,
  type ProcessInboundEventJob,
} from '@app/messaging';
import { APP_CONFIG, reconcilerActions } from '@app/platform';
import type { InboundGatewayConfig } from '../config';

/**
 * Postgres is the record; Redis is transport. Every interval this returns `processing`
 * events whose lease expired (their worker died) to `received`, and enqueues every due
 * `received` event again. Job ids are `<event>-<attempts>`, so a job that still exists
 * absorbs the re-add and nothing runs twice.
 */
const BATCH = 1000;

@Injectable()
export class InboundReconciler implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(InboundReconciler.name);
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;

  constructor(
    private readonly dataSource: DataSource,
    @InjectQueue(QueueName.InboundEvents) private readonly queue: Queue<ProcessInboundEventJob>,
    @Inject(APP_CONFIG) private readonly config: InboundGatewayConfig,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => {
      if (this.running) return;
      this.running = this.reconcile()
        .catch((error: unknown) => this.logger.warn(`reconcile pass failed: ${String(error)}`))
        .finally(() => (this.running = undefined));
    }, this.config.RECONCILE_INTERVAL_SECONDS * 1000);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  /** One pass; returns what it did (tests call it directly). */
  async reconcile(): Promise<{ released: number; enqueued: number }> {
    const released = await this.releaseExpiredLeases();
    let enqueued = 0;
    let after = '00000000-0000-0000-0000-000000000000';
    for (;;) {
      const rows: Array<{ id: string; attempts: number }> = await this.dataSource.query(
        `SELECT id, attempts FROM inbound_events
          WHERE state = 'received' AND (due_at IS NULL OR due_at <= now()) AND id > $1
          ORDER BY id LIMIT $2`,
        [after, BATCH],
      );
      if (rows.length === 0) break;
      await this.queue.addBulk(
        rows.map((row) => ({
          name: InboundEventsJob.Process,
          data: { eventId: row.id },
          opts: { jobId: itemJobId(row.id, row.attempts) },
        })),
      );
      enqueued += rows.length;
      after = rows[rows.length - 1].id;
      if (rows.length < BATCH) break;
    }
    if (enqueued > 0) reconcilerActions.inc({ kind: 'inbound', action: 'enqueued' }, enqueued);
    return { released, enqueued };
  }

  private async releaseExpiredLeases(): Promise<number> {
    const result: unknown = await this.dataSource.query(
      `UPDATE inbound_events SET state = 'received', lease_until = NULL, updated_at = now()
        WHERE state = 'processing' AND lease_until < now()
        RETURNING id`,
    );
    const rows =
      Array.isArray(result) && Array.isArray(result[0]) ? result[0] : (result as unknown[]);
    if (rows.length > 0) {
      reconcilerActions.inc({ kind: 'inbound', action: 'lease_released' }, rows.length);
      this.logger.warn(`released ${rows.length} inbound event(s) whose worker lease expired`);
    }
    return rows.length;
  }
}
