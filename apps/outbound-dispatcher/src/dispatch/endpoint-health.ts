import { Injectable, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { outboundEndpointsDisabled, readDisabledEndpointsWith } from '@app/platform';
import { DispatcherEndpointsRepository } from '@app/persistence';
import type { EndpointHealthRecorder } from './send-delivery.ports';
import type { OutboundEndpointRuntime } from './outbound-endpoint-cache';

/**
 * Endpoint health (SPEC §11): an endpoint that answers `410 Gone`, or fails every attempt
 * for its configured span (default 5 days) or count, is disabled with the reason
 * recorded; its deliveries are then held until an operator re-enables it. Successes only
 * touch the row when it had failures, so the hot path does no writes for healthy ones.
 */
export class EndpointHealth implements EndpointHealthRecorder {
  private readonly failing = new Set<string>();

  constructor(
    private readonly endpoints: DispatcherEndpointsRepository,
    private readonly onDisabled: (endpointId: string, reason: string) => void,
  ) {}

  async record(
    endpoint: OutboundEndpointRuntime,
    result: { ok: boolean; status?: number },
  ): Promise<void> {
    if (result.ok) {
      if (!this.failing.has(endpoint.id)) return;
      this.failing.delete(endpoint.id);
      await this.endpoints.recordSuccess(endpoint.id);
      return;
    }
    this.failing.add(endpoint.id);
    const state = await this.endpoints.recordFailure(endpoint.id);
    if (!state) return;
    let reason: string | null = null;
    let kind: 'gone' | 'failures' | 'duration' = 'gone';
    if (result.status === 410) reason = 'the endpoint answered 410 Gone';
    else if (
      endpoint.health.disableAfterFailures &&
      state.consecutiveFailures >= endpoint.health.disableAfterFailures
    ) {
      reason = `${state.consecutiveFailures} consecutive failed attempts`;
      kind = 'failures';
    } else if (state.failingForSeconds >= endpoint.health.disableAfterSeconds) {
      reason = `every attempt failed for ${describeSpan(state.failingForSeconds)}`;
      kind = 'duration';
    }
    if (!reason) return;
    if (await this.endpoints.disable(endpoint.id, reason)) {
      outboundEndpointsDisabled.inc({ reason: kind });
      this.onDisabled(endpoint.id, reason);
    }
  }
}

/**
 * A failure span in the unit an operator reads it in: a span configured in minutes read
 * "0 h" when it was written in hours only.
 */
export function describeSpan(seconds: number): string {
  if (seconds < 120) return `${Math.floor(seconds)} s`;
  if (seconds < 2 * 3600) return `${Math.floor(seconds / 60)} min`;
  if (seconds < 2 * 86_400) return `${Math.floor(seconds / 3600)} h`;
  return `${Math.floor(seconds / 86_400)} days`;
}

/** Publishes how many active endpoints health has disabled, per tenant, at scrape time. */
@Injectable()
export class DisabledEndpointsMetric implements OnApplicationBootstrap, OnApplicationShutdown {
  constructor(private readonly endpoints: DispatcherEndpointsRepository) {}

  onApplicationBootstrap(): void {
    readDisabledEndpointsWith(() => this.endpoints.countDisabledByTenant());
  }

  onApplicationShutdown(): void {
    readDisabledEndpointsWith(null);
  }
}
