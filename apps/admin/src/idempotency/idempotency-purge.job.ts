import {
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
  OnApplicationShutdown,
} from '@nestjs/common';
import { APP_CONFIG, PeriodicTask } from '@app/platform';
import type { AdminConfig } from '../config';
import { IdempotencyStore } from './idempotency.store';

/**
 * Forgets `Idempotency-Key`s older than their window, on the retention clock
 * (RETENTION_INTERVAL_SECONDS), in batches of short statements that skip rows a request
 * holds. Safe with several admin replicas: each deletes different rows.
 */
const BATCH = 1000;

@Injectable()
export class IdempotencyPurgeJob implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(IdempotencyPurgeJob.name);
  private readonly periodic: PeriodicTask;
  private stopping = false;

  constructor(
    private readonly store: IdempotencyStore,
    @Inject(APP_CONFIG) config: AdminConfig,
  ) {
    this.periodic = new PeriodicTask(
      config.RETENTION_INTERVAL_SECONDS * 1000,
      () => this.purge(),
      (error) => this.logger.warn(`idempotency key purge failed: ${String(error)}`),
    );
  }

  onApplicationBootstrap(): void {
    this.periodic.start();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopping = true;
    await this.periodic.stop();
  }

  /** Deletes every expired key; answers how many (tests call it directly). */
  async purge(): Promise<number> {
    let deleted = 0;
    while (!this.stopping) {
      const count = await this.store.purge(BATCH);
      deleted += count;
      if (count < BATCH) break;
    }
    return deleted;
  }
}
