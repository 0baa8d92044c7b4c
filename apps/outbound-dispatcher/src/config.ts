import { IsOptional } from 'class-validator';
import { BaseConfig, IsPort, IsPositiveInt } from '@app/platform';

/** The outbound dispatcher's configuration: SPEC §2 plus worker tuning. */
export class OutboundDispatcherConfig extends BaseConfig {
  @IsPort()
  DISPATCHER_PORT = 3002;

  /** Concurrent deliveries per dispatcher process. */
  @IsPositiveInt(2000)
  DISPATCHER_CONCURRENCY = 64;

  /**
   * Most deliveries of one outbound endpoint in flight per dispatcher process. Over it a
   * delivery waits briefly for the endpoint's slot while the endpoint answers promptly, and
   * is otherwise put back to the queue (not an attempt), so one slow sink cannot hold all
   * DISPATCHER_CONCURRENCY slots (see EndpointSlots). Unset: a quarter of
   * DISPATCHER_CONCURRENCY (at least 1).
   */
  @IsOptional()
  @IsPositiveInt(2000)
  DISPATCHER_ENDPOINT_CONCURRENCY?: number;

  /** How often lost jobs and expired leases are reconciled from Postgres. */
  @IsPositiveInt(3600)
  RECONCILE_INTERVAL_SECONDS = 30;

  /**
   * A `processing` delivery whose dispatcher has not recorded an outcome within this is
   * treated as interrupted. Must exceed the longest endpoint timeout (at most 120 s).
   */
  @IsPositiveInt(86400)
  PROCESSING_LEASE_SECONDS = 300;

  /** How long endpoint and handler configuration is reused before it is read again. */
  @IsPositiveInt(600_000)
  ENDPOINT_CACHE_TTL_MS = 5000;

  /** Open connections per target host (keep-alive pool). */
  @IsPositiveInt(10_000)
  OUTBOUND_MAX_SOCKETS = 256;
}

/** DISPATCHER_ENDPOINT_CONCURRENCY, or its default: a quarter of DISPATCHER_CONCURRENCY. */
export function endpointConcurrency(config: OutboundDispatcherConfig): number {
  return (
    config.DISPATCHER_ENDPOINT_CONCURRENCY ??
    Math.max(1, Math.floor(config.DISPATCHER_CONCURRENCY / 4))
  );
}

/**
 * Most slots one endpoint that has proven prompt may hold: all but one endpoint cap's worth,
 * which always stays for the other endpoints (at least the cap itself).
 */
export function endpointBurstConcurrency(config: OutboundDispatcherConfig): number {
  const cap = endpointConcurrency(config);
  return Math.max(cap, config.DISPATCHER_CONCURRENCY - cap);
}
