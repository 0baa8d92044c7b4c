import { Global, Module } from '@nestjs/common';
import { IdempotencyPurgeJob } from './idempotency-purge.job';
import { IdempotencyInterceptor } from './idempotency.interceptor';
import { IdempotencyStore } from './idempotency.store';

/**
 * `Idempotency-Key` on creating POSTs: the store, the interceptor `@Idempotent()` routes
 * use (global, so every feature module's controllers can resolve it) and the purge job.
 */
@Global()
@Module({
  providers: [IdempotencyStore, IdempotencyInterceptor, IdempotencyPurgeJob],
  exports: [IdempotencyStore, IdempotencyInterceptor],
})
export class IdempotencyModule {}
