import {
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
  OnApplicationShutdown,
} from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import { OutboundEndpointsRepository, RetentionRepository } from '@app/persistence';
import { APP_CONFIG, PeriodicTask } from '@app/platform';
import type { AdminConfig } from '../config';

export interface RetentionResult {
  inboundEvents: number;
  deliveries: number;
  /** Refused publish/deliver requests (`outbound_request_refusals`) past their period. */
  outboundRequestRefusals: number;
  /** Previous outbound signing secrets whose rotation window had closed. */
  expiredSigningSecrets: number;
  /** False when another replica held the lock and this pass did nothing. */
  ran: boolean;
}

/**
 * Retention (SPEC §11): every RETENTION_INTERVAL_SECONDS, deletes `done` and `rejected`
 * inbound events, `done` deliveries (their attempts go with them, ON DELETE CASCADE) and
 * refused publish/deliver requests (`outbound_request_refusals`; those that named no
 * existing tenant follow the default tenant's period) older than their tenant's
 * `retention_days`, and the previous outbound signing secrets whose rotation window has
 * closed. `error` and `dead_letter` items wait for an operator; anything not final is
 * never touched.
 *
 * It runs in the admin app: the app that owns operations, off the webhook hot path (the
 * gateway's CPU and pool stay with traffic), and one place for both directions.
 *
 * Never stalls traffic: each batch is one `DELETE … LIMIT RETENTION_BATCH_SIZE` statement,
 * so its own short transaction, and it takes rows `FOR UPDATE SKIP LOCKED`, so it never
 * waits on (or makes wait) a row a worker or operator holds. Safe with several admin
 * replicas: a pass runs under a session advisory lock that the others try and skip; if
 * that replica dies, Postgres releases the lock with its connection. The statements and the
 * lock are RetentionRepository's.
 */
@Injectable()
export class RetentionJob implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(RetentionJob.name);
  private readonly periodic: PeriodicTask;
  private stopping = false;

  constructor(
    private readonly retention: RetentionRepository,
    private readonly endpoints: OutboundEndpointsRepository,
    @Inject(APP_CONFIG) private readonly config: AdminConfig,
  ) {
    this.periodic = new PeriodicTask(
      config.RETENTION_INTERVAL_SECONDS * 1000,
      () => this.purge(),
      (error) => this.logger.warn(`retention pass failed: ${String(error)}`),
    );
  }

  onApplicationBootstrap(): void {
    this.periodic.start();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopping = true;
    await this.periodic.stop();
  }

  /** One pass over every tenant; returns what it deleted (tests call it directly). */
  async purge(): Promise<RetentionResult> {
    const pass = await this.retention.underLock((session) => this.purgeTenants(session));
    if (!pass.ran) {
      return {
        inboundEvents: 0,
        deliveries: 0,
        outboundRequestRefusals: 0,
        expiredSigningSecrets: 0,
        ran: false,
      };
    }
    const result = pass.value;
    const { inboundEvents, deliveries, outboundRequestRefusals, expiredSigningSecrets } = result;
    if (inboundEvents + deliveries + outboundRequestRefusals + expiredSigningSecrets > 0) {
      this.logger.log(
        `retention deleted ${inboundEvents} inbound event(s), ${deliveries} delivery(ies), ` +
          `${outboundRequestRefusals} request refusal(s) and ${expiredSigningSecrets} ` +
          `expired previous signing secret(s)`,
      );
    }
    return result;
  }

  private async purgeTenants(session: RetentionRepository): Promise<RetentionResult> {
    const result: RetentionResult = {
      inboundEvents: 0,
      deliveries: 0,
      outboundRequestRefusals: 0,
      expiredSigningSecrets: await this.endpoints.dropExpiredPreviousSigningSecrets(),
      ran: true,
    };
    for (const tenant of await session.tenants()) {
      result.inboundEvents += await this.inBatches((limit) =>
        session.purgeInboundEvents(tenant, limit),
      );
      result.deliveries += await this.inBatches((limit) => session.purgeDeliveries(tenant, limit));
      result.outboundRequestRefusals += await this.inBatches((limit) =>
        session.purgeRequestRefusals(tenant, limit),
      );
    }
    return result;
  }

  /** Repeats one batched delete until a batch comes back short, pausing between batches. */
  private async inBatches(purge: (limit: number) => Promise<number>): Promise<number> {
    const batch = this.config.RETENTION_BATCH_SIZE;
    let deleted = 0;
    while (!this.stopping) {
      const count = await purge(batch);
      deleted += count;
      if (count < batch) break;
      await sleep(this.config.RETENTION_BATCH_PAUSE_MS);
    }
    return deleted;
  }
}
